import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError } from './errors.js';
import { Tensor } from './tensor.js';

describe('Tensor', () => {
  it('builds from nested arrays with the right shape', () => {
    const t = Tensor.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([2, 3]);
    expect(t.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('supports every dtype and round-trips through ort.Tensor', () => {
    const ts = [
      new Tensor('float32', [2], Float32Array.of(1.5, -2)),
      new Tensor('int64', [2], BigInt64Array.of(3n, -4n)),
      new Tensor('int32', [2], Int32Array.of(5, 6)),
      new Tensor('bool', [2], Uint8Array.of(1, 0)),
      new Tensor('uint8', [2], Uint8Array.of(255, 7)),
    ];
    for (const t of ts) {
      const o = t.toOrt();
      expect(o.type).toBe(t.dtype);
      expect(o.dims).toEqual([2]);
      const back = Tensor.fromOrt(o);
      expect(back.dtype).toBe(t.dtype);
      expect(back.toArray()).toEqual(t.toArray());
    }
  });

  it('rejects data of the wrong length or type', () => {
    expect(() => new Tensor('float32', [2, 2], new Float32Array(3))).toThrow(ShapeError);
    expect(() => new Tensor('float32', [2, 2], new Float32Array(3))).toThrow(
      'shape [2,2] needs 4 elements, data has 3',
    );
    expect(() => new Tensor('int64', [1], new Float32Array(1) as never)).toThrow(DTypeError);
    expect(() => new Tensor('float64' as never, [1])).toThrow("unknown dtype 'float64'");
    expect(() => Tensor.from([[1, 2], [3]] as never)).toThrow('ragged');
    expect(() => new Tensor('float32', [-1])).toThrow(ShapeError);
  });

  it('prints readably, eliding long data', () => {
    expect(
      Tensor.from([
        [1, 2],
        [3, 4.25],
      ]).toString(),
    ).toBe('Tensor<float32>[2, 2] [1.0, 2.0, 3.0, 4.25]');
    const long = new Tensor(
      'int32',
      [20],
      Int32Array.from({ length: 20 }, (_, i) => i),
    );
    expect(long.toString()).toBe(
      'Tensor<int32>[20] [0, 1, 2, 3, 4, 5, ..., 14, 15, 16, 17, 18, 19]',
    );
  });

  it('item, reshape, clone', () => {
    expect(Tensor.scalar(3).item()).toBe(3);
    expect(() => Tensor.from([1, 2]).item()).toThrow(ShapeError);
    const t = Tensor.from([1, 2, 3, 4]);
    const r = t.reshape([2, 2]);
    expect(r.shape).toEqual([2, 2]);
    const c = t.clone();
    (c.data as Float32Array)[0] = 9;
    expect(t.data[0]).toBe(1);
  });

  it('takeRows copies rows of axis 0 in order, keeps the other axes and dtype, and names a bad row', () => {
    const x = new Tensor(
      'float32',
      [3, 2, 2],
      Float32Array.from({ length: 12 }, (_, i) => i),
    );
    const y = x.takeRows([2, 0, 2]);
    expect(y.shape).toEqual([3, 2, 2]);
    expect(Array.from(y.data)).toEqual([8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
    (y.data as Float32Array)[0] = -1;
    expect(x.data[8]).toBe(8);
    const ids = new Tensor('int64', [3], new BigInt64Array([5n, 6n, 7n])).takeRows([1]);
    expect(ids.dtype).toBe('int64');
    expect(Array.from(ids.data as BigInt64Array)).toEqual([6n]);
    expect(x.takeRows([]).shape).toEqual([0, 2, 2]);
    expect(() => x.takeRows([3])).toThrow(ShapeError);
    expect(() => x.takeRows([1.5])).toThrow('Tensor.takeRows: row 1.5 is outside 0..2');
  });
});

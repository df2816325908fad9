import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { loadSafetensors, saveSafetensors } from './safetensors-file.js';

/** Assemble a file by hand: u64 LE header length, header text (as given), data bytes. */
function assemble(header: string | object, data: ArrayLike<number> = []): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

/** u16 values as little-endian bytes. */
function u16le(values: number[]): number[] {
  return values.flatMap((v) => [v & 0xff, v >> 8]);
}

function expectCheckpointError(fn: () => unknown, message: string | RegExp): void {
  expect(fn).toThrow(CheckpointError);
  expect(fn).toThrow(message);
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('encodeSafetensors / decodeSafetensors round trip', () => {
  const all = (): Record<string, Tensor> => ({
    'fc1.weight': Tensor.from([
      [1.5, -2, 3],
      [4, 5.25, -6],
    ]),
    'fc1.bias': new Tensor('float32', [3], new Float32Array([0.1, 0.2, 0.3])),
    steps: new Tensor(
      'int64',
      [4],
      new BigInt64Array([0n, -1n, 9223372036854775807n, -9223372036854775808n]),
    ),
    idx: new Tensor('int32', [2, 2], new Int32Array([-2147483648, -1, 0, 2147483647])),
    pixels: new Tensor('uint8', [3], new Uint8Array([0, 128, 255])),
    mask: new Tensor('bool', [2, 2], new Uint8Array([1, 0, 0, 1])),
    scalar: Tensor.scalar(3.25),
    scalarI64: Tensor.scalar(-7, 'int64'),
    scalarI32: Tensor.scalar(42, 'int32'),
    scalarU8: new Tensor('uint8', [], new Uint8Array([9])),
    scalarBool: new Tensor('bool', [], new Uint8Array([1])),
    emptyF32: new Tensor('float32', [0]),
    emptyI64: new Tensor('int64', [2, 0, 3]),
    emptyI32: new Tensor('int32', [0, 5]),
    emptyU8: new Tensor('uint8', [0]),
    emptyBool: new Tensor('bool', [1, 0]),
  });

  it('preserves every dtype, shape (incl. rank 0 and empty) and value, plus metadata', () => {
    const tensors = all();
    const metadata = { format: 'pt', note: 'ünïcödé ✓', empty: '', config: '{"lr":0.001}' };
    const file = decodeSafetensors(encodeSafetensors(tensors, metadata));
    expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = file.tensors[name];
      expect(got, name).toBeInstanceOf(Tensor);
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data, name).toEqual(t.data);
      expect(got.data.constructor, name).toBe(t.data.constructor);
    }
    expect(file.metadata).toEqual(metadata);
  });

  it('returns empty metadata when none was written, and handles no tensors at all', () => {
    const file = decodeSafetensors(encodeSafetensors({}));
    expect(file).toEqual({ tensors: {}, metadata: {} });
    const onlyMeta = decodeSafetensors(encodeSafetensors({}, { a: 'b' }));
    expect(onlyMeta).toEqual({ tensors: {}, metadata: { a: 'b' } });
  });

  it('keeps float32 bit patterns: -0, inf, nan, subnormals, max', () => {
    const values = new Float32Array([
      -0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      1.401298464324817e-45,
      3.4028234663852886e38,
      Math.fround(Math.PI),
    ]);
    const file = decodeSafetensors(
      encodeSafetensors({ x: new Tensor('float32', [values.length], values) }),
    );
    expect(sameBits(file.tensors.x.data as Float32Array, values)).toBe(true);
  });

  it('handles tensor names that are unusual JS keys and non-ASCII', () => {
    const tensors: Record<string, Tensor> = {};
    for (const name of ['__proto__', 'constructor', '0', 'ünï.cödé', 'a"b\\c', '']) {
      Object.defineProperty(tensors, name, {
        value: Tensor.from([name.length]),
        enumerable: true,
      });
    }
    const file = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(tensors).sort());
    expect(Object.getPrototypeOf(file.tensors)).toBe(Object.prototype);
    expect(Object.hasOwn(file.tensors, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(file.tensors, '__proto__')?.value.toArray()).toEqual([
      9,
    ]);
    expect(file.tensors['ünï.cödé'].toArray()).toEqual([8]);
  });

  it('encodes tensors whose data is a view into a larger buffer', () => {
    const big = new Float32Array([9, 1, 2, 3, 9]);
    const t = new Tensor('float32', [3], big.subarray(1, 4));
    const file = decodeSafetensors(encodeSafetensors({ t }));
    expect(file.tensors.t.toArray()).toEqual([1, 2, 3]);
  });

  it('normalizes bool bytes to 0/1', () => {
    const t = new Tensor('bool', [3], new Uint8Array([0, 2, 255]));
    const bytes = encodeSafetensors({ t });
    expect(Array.from(bytes.subarray(bytes.length - 3))).toEqual([0, 1, 1]);
    expect(decodeSafetensors(bytes).tensors.t.toArray()).toEqual([0, 1, 1]);
    const hand = assemble({ t: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, [7, 0]);
    expect(decodeSafetensors(hand).tensors.t.toArray()).toEqual([1, 0]);
  });
});

describe('encodeSafetensors layout', () => {
  it('is deterministic: names sorted regardless of insertion order', () => {
    const a = { b: Tensor.from([1, 2]), a: Tensor.scalar(3, 'int64'), c: Tensor.from([[4]]) };
    const b = { c: Tensor.from([[4]]), a: Tensor.scalar(3, 'int64'), b: Tensor.from([1, 2]) };
    const x = encodeSafetensors(a, { z: '1', y: '2' });
    const y = encodeSafetensors(b, { y: '2', z: '1' });
    expect(x).toEqual(y);
    expect(encodeSafetensors(a, { z: '1', y: '2' })).toEqual(x);
  });

  it('pads the header with spaces to a multiple of 8 bytes', () => {
    for (let len = 0; len < 10; len++) {
      const bytes = encodeSafetensors({ ['n'.repeat(len)]: Tensor.scalar(1) });
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(/^[^ ]*} *$/.test(text.replace(/"[^"]*"/g, '""'))).toBe(true);
      expect(bytes.length).toBe(8 + n + 4);
    }
  });

  it('matches a hand-assembled file byte for byte', () => {
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"I32","shape":[],"data_offsets":[8,12]},' +
      '"c":{"dtype":"BOOL","shape":[1,2],"data_offsets":[12,14]},' +
      '"d":{"dtype":"I64","shape":[1],"data_offsets":[14,22]},' +
      '"e":{"dtype":"U8","shape":[0],"data_offsets":[22,22]}}';
    expect(header.length).toBe(305);
    const padded = `${header}       `; // 7 spaces: 312 = 39 * 8
    // biome-ignore format: byte table
    const expected = [
      // header length 312 = 0x138 as u64 little-endian
      0x38, 0x01, 0, 0, 0, 0, 0, 0,
      ...Array.from(padded, (ch) => ch.charCodeAt(0)),
      // a: F32 [1.0, -2.0]
      0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0,
      // b: I32 7
      0x07, 0x00, 0x00, 0x00,
      // c: BOOL [true, false]
      0x01, 0x00,
      // d: I64 [-2]
      0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      // e: empty
    ];
    const bytes = encodeSafetensors(
      {
        e: new Tensor('uint8', [0]),
        d: new Tensor('int64', [1], new BigInt64Array([-2n])),
        c: new Tensor('bool', [1, 2], new Uint8Array([1, 0])),
        b: Tensor.scalar(7, 'int32'),
        a: Tensor.from([1, -2]),
      },
      { format: 'pt' },
    );
    expect(Array.from(bytes)).toEqual(expected);

    const file = decodeSafetensors(new Uint8Array(expected));
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.a.toArray()).toEqual([1, -2]);
    expect(file.tensors.b.shape).toEqual([]);
    expect(file.tensors.b.item()).toBe(7);
    expect(file.tensors.c.dtype).toBe('bool');
    expect(file.tensors.d.data).toEqual(new BigInt64Array([-2n]));
    expect(file.tensors.e.shape).toEqual([0]);
  });

  it('omits __metadata__ when there is no metadata', () => {
    const bytes = encodeSafetensors({ x: Tensor.scalar(1) }, {});
    const text = new TextDecoder().decode(bytes.subarray(8, bytes.length - 4)).trimEnd();
    expect(text).toBe('{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}');
  });
});

describe('decodeSafetensors F16 / BF16', () => {
  it('converts F16 exactly: 1.0, -2.5, 65504, smallest subnormal, inf, nan', () => {
    const halves = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x8000];
    const bytes = assemble(
      { h: { dtype: 'F16', shape: [halves.length], data_offsets: [0, 2 * halves.length] } },
      u16le(halves),
    );
    const t = decodeSafetensors(bytes).tensors.h;
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([halves.length]);
    const v = t.toArray();
    expect(v[0]).toBe(1);
    expect(v[1]).toBe(-2.5);
    expect(v[2]).toBe(65504);
    expect(v[3]).toBe(2 ** -24); // 5.960464477539063e-8
    expect(v[4]).toBe(1023 * 2 ** -24); // largest subnormal
    expect(v[5]).toBe(2 ** -14); // smallest normal
    expect(v[6]).toBe(Number.POSITIVE_INFINITY);
    expect(v[7]).toBe(Number.NEGATIVE_INFINITY);
    expect(v[8]).toBeNaN();
    expect(Object.is(v[9], -0)).toBe(true);
  });

  it('converts all 65536 F16 bit patterns exactly', () => {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    const bytes = assemble(
      { h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } },
      u16le(all),
    );
    const got = decodeSafetensors(bytes).tensors.h.data as Float32Array;
    for (const h of all) {
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const mant = h & 0x3ff;
      const want =
        exp === 0
          ? sign * mant * 2 ** -24
          : exp === 31
            ? mant === 0
              ? sign * Number.POSITIVE_INFINITY
              : Number.NaN
            : sign * (1 + mant / 1024) * 2 ** (exp - 15);
      if (Number.isNaN(want)) expect(got[h]).toBeNaN();
      else if (!Object.is(got[h], want))
        expect.fail(`f16 0x${h.toString(16)}: ${got[h]} != ${want}`);
    }
  });

  it('converts BF16 exactly: 1.0, -2.5, 65280, max, smallest subnormal, inf, nan', () => {
    // 65504 is not representable in bf16 (7 mantissa bits); 65280 = 0x477f is its neighbour.
    const halves = [0x3f80, 0xc020, 0x477f, 0x7f7f, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0x8000];
    const bytes = assemble(
      { b: { dtype: 'BF16', shape: [halves.length], data_offsets: [0, 2 * halves.length] } },
      u16le(halves),
    );
    const v = decodeSafetensors(bytes).tensors.b.toArray();
    expect(v[0]).toBe(1);
    expect(v[1]).toBe(-2.5);
    expect(v[2]).toBe(65280);
    expect(v[3]).toBe(3.3895313892515355e38);
    expect(v[4]).toBe(2 ** -133); // smallest bf16 subnormal, a float32 subnormal
    expect(v[5]).toBe(Number.POSITIVE_INFINITY);
    expect(v[6]).toBe(Number.NEGATIVE_INFINITY);
    expect(v[7]).toBeNaN();
    expect(Object.is(v[8], -0)).toBe(true);
  });

  it('reads F16 from an odd (unaligned) offset and with a shape', () => {
    const bytes = assemble(
      {
        u: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
        h: { dtype: 'F16', shape: [2, 1], data_offsets: [1, 5] },
      },
      [5, ...u16le([0x3c00, 0xc100])],
    );
    const file = decodeSafetensors(bytes);
    expect(file.tensors.h.shape).toEqual([2, 1]);
    expect(file.tensors.h.toArray()).toEqual([1, -2.5]);
  });
});

describe('decodeSafetensors input handling', () => {
  it('copies data out of unaligned input into aligned typed arrays', () => {
    const bytes = encodeSafetensors({
      a: new Tensor('uint8', [3], new Uint8Array([1, 2, 3])),
      f: Tensor.from([1.5, 2.5]),
      i: new Tensor('int64', [1], new BigInt64Array([123456789012345n])),
    });
    // Place the file at byte offset 1 of a larger buffer: nothing is aligned any more.
    const host = new Uint8Array(bytes.length + 1);
    host.set(bytes, 1);
    const view = host.subarray(1);
    const file = decodeSafetensors(view);
    expect(file.tensors.f.toArray()).toEqual([1.5, 2.5]);
    expect(file.tensors.i.data).toEqual(new BigInt64Array([123456789012345n]));
    for (const t of Object.values(file.tensors)) {
      expect(t.data.buffer).not.toBe(host.buffer);
      expect(t.data.byteOffset).toBe(0);
    }
    host.fill(0);
    expect(file.tensors.f.toArray()).toEqual([1.5, 2.5]);
  });

  it('accepts a Node Buffer and a header without padding', () => {
    const bytes = assemble('{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}', [1, 0, 0, 0]);
    expect(decodeSafetensors(Buffer.from(bytes)).tensors.x.item()).toBe(1);
  });

  it('accepts a header padded with trailing spaces', () => {
    const bytes = assemble('{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}        ', [4]);
    expect(decodeSafetensors(bytes).tensors.x.item()).toBe(4);
  });

  it('accepts "__metadata__": null', () => {
    const bytes = assemble(
      { __metadata__: null, x: { dtype: 'U8', shape: [], data_offsets: [0, 1] } },
      [4],
    );
    expect(decodeSafetensors(bytes).metadata).toEqual({});
  });
});

describe('decodeSafetensors errors', () => {
  const f32 = (shape: number[], offsets: unknown) => ({
    dtype: 'F32',
    shape,
    data_offsets: offsets,
  });

  it('names the source in messages', () => {
    expectCheckpointError(
      () => decodeSafetensors(new Uint8Array(3), 'model.safetensors'),
      "safetensors 'model.safetensors': file is 3 bytes, shorter than the 8-byte header length prefix",
    );
  });

  it('rejects a file shorter than 8 bytes', () => {
    expectCheckpointError(
      () => decodeSafetensors(new Uint8Array(0)),
      'file is 0 bytes, shorter than the 8-byte',
    );
  });

  it('rejects a header length larger than the file (truncated)', () => {
    const bytes = assemble('{}');
    new DataView(bytes.buffer).setBigUint64(0, 100n, true);
    expectCheckpointError(
      () => decodeSafetensors(bytes, 'f'),
      "safetensors 'f': truncated or not a safetensors file: the header length in its first 8 bytes is larger than the 2 bytes after them",
    );
    const huge = assemble('{}');
    new DataView(huge.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expectCheckpointError(
      () => decodeSafetensors(huge),
      /truncated or not a safetensors file: the header length in its first 8 bytes is larger than the 2 bytes after them$/,
    );
  });

  it('never spells out the bytes of a file that is not safetensors (e.g. /proc/self/environ)', () => {
    const secret = new TextEncoder().encode('PASSWORD=hunter2hunter2\0HOME=/root\0');
    const message = (() => {
      try {
        decodeSafetensors(secret, 'f');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/not a safetensors file/);
    const asNumber = new DataView(secret.buffer).getBigUint64(0, true).toString();
    expect(message).not.toContain(asNumber);
    expect(message).not.toMatch(/PASSWORD|hunter2/);
    // A header that is not JSON: its position and at most a short, escaped prefix.
    const long = `{"a": ${'x'.repeat(200)}\u0001`;
    let m2 = '';
    try {
      decodeSafetensors(assemble(long), 'f');
    } catch (e) {
      m2 = (e as Error).message;
    }
    expect(m2).toMatch(
      /is not valid JSON( \(at position \d+\))?; it starts with '\{\\"a\\": x{34}\.\.\.'$/,
    );
    expect(m2.length).toBeLessThan(160);
  });

  it('rejects a header that is not valid JSON or not UTF-8', () => {
    expectCheckpointError(
      () => decodeSafetensors(assemble('{"x": '), 'f'),
      /safetensors 'f': header \(6 bytes\) is not valid JSON/,
    );
    const bad = assemble('{"a":1}');
    bad[10] = 0xff;
    expectCheckpointError(() => decodeSafetensors(bad), 'header (7 bytes) is not valid UTF-8');
  });

  it('rejects a header that is not an object', () => {
    expectCheckpointError(
      () => decodeSafetensors(assemble('[1,2]')),
      'header is an array; expected a JSON object',
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble('null')),
      'header is null; expected a JSON object',
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble('42')),
      'header is a number; expected a JSON object',
    );
  });

  it('rejects a tensor entry missing dtype, shape or data_offsets', () => {
    const data = new Array(4).fill(0);
    expectCheckpointError(
      () => decodeSafetensors(assemble({ w: { shape: [1], data_offsets: [0, 4] } }, data)),
      "tensor 'w': entry has no 'dtype'; expected dtype, shape, data_offsets",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ w: { dtype: 'F32', data_offsets: [0, 4] } }, data)),
      "tensor 'w': entry has no 'shape'",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ w: { dtype: 'F32', shape: [1] } }, data)),
      "tensor 'w': entry has no 'data_offsets'",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ w: 'F32' }, data)),
      "tensor 'w': entry is a string; expected an object with dtype, shape, data_offsets",
    );
  });

  it('rejects invalid shapes and dtype types', () => {
    expectCheckpointError(
      () => decodeSafetensors(assemble({ w: f32([-1], [0, 4]) }, [0, 0, 0, 0])),
      "tensor 'w': shape [-1] is not an array of non-negative integers",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ w: { dtype: 'F32', shape: 4, data_offsets: [0, 4] } })),
      "tensor 'w': shape 4 is not an array",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ w: { dtype: 4, shape: [], data_offsets: [0, 4] } })),
      "tensor 'w': dtype is a number; expected a string",
    );
  });

  it('rejects offsets out of range', () => {
    for (const offsets of [[-1, 3], [8, 4], [0], [0, 1.5], 'x', [0, '4']]) {
      expectCheckpointError(
        () => decodeSafetensors(assemble({ w: f32([1], offsets) }, [0, 0, 0, 0])),
        `tensor 'w': data_offsets ${JSON.stringify(offsets)} out of range; expected [begin, end] with 0 <= begin <= end`,
      );
    }
  });

  it('rejects offsets that do not match shape x dtype size', () => {
    expectCheckpointError(
      () =>
        decodeSafetensors(
          assemble({ 'fc1.weight': f32([2, 3], [0, 12]) }, new Array(12).fill(0)),
          'ckpt.safetensors',
        ),
      "safetensors 'ckpt.safetensors': tensor 'fc1.weight': data_offsets [0, 12] hold 12 bytes but shape [2,3] of F32 needs 24",
    );
    expectCheckpointError(
      () =>
        decodeSafetensors(
          assemble({ h: { dtype: 'BF16', shape: [3], data_offsets: [0, 4] } }, [0, 0, 0, 0]),
        ),
      "tensor 'h': data_offsets [0, 4] hold 4 bytes but shape [3] of BF16 needs 6",
    );
  });

  it('rejects a data buffer shorter than the last offset (truncated)', () => {
    const full = encodeSafetensors({ a: Tensor.from([1, 2]), b: Tensor.from([3, 4, 5]) });
    expectCheckpointError(
      () => decodeSafetensors(full.subarray(0, full.length - 1), 'x.st'),
      "safetensors 'x.st': truncated: tensor 'b' data_offsets [8, 20] end past the 19-byte data buffer",
    );
  });

  it('reports overlapping tensors, gaps and trailing bytes', () => {
    const data = new Array(16).fill(0);
    expectCheckpointError(
      () =>
        decodeSafetensors(
          assemble({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, data.slice(0, 12)),
        ),
      "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]; tensors must not overlap",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ a: f32([1], [0, 4]), b: f32([2], [8, 16]) }, data)),
      "gap of 4 bytes before tensor 'b' (data_offsets [8, 16], expected begin 4); tensors must be contiguous",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ a: f32([2], [4, 12]) }, data.slice(0, 12))),
      "gap of 4 bytes before tensor 'a'",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ a: f32([2], [0, 8]) }, data.slice(0, 10))),
      '2 trailing bytes after the last tensor (data buffer is 10 bytes, tensors end at 8)',
    );
    // The same tensors in the other order in the header are fine.
    const ok = decodeSafetensors(
      assemble({ b: f32([1], [8, 12]), a: f32([2], [0, 8]) }, data.slice(0, 12)),
    );
    expect(Object.keys(ok.tensors)).toEqual(['b', 'a']);
  });

  it('rejects unknown and unsupported dtypes, naming the tensor and the dtype', () => {
    expectCheckpointError(
      () =>
        decodeSafetensors(
          assemble(
            { 'enc.w': { dtype: 'F64', shape: [1], data_offsets: [0, 8] } },
            new Array(8).fill(0),
          ),
          'm',
        ),
      "safetensors 'm': tensor 'enc.w': unknown or unsupported dtype 'F64'; expected one of F32, F16, BF16, I64, I32, U8, BOOL",
    );
    expectCheckpointError(
      () =>
        decodeSafetensors(assemble({ q: { dtype: 'Q4', shape: [], data_offsets: [0, 1] } }, [0])),
      "tensor 'q': unknown or unsupported dtype 'Q4'",
    );
    expectCheckpointError(
      () =>
        decodeSafetensors(
          assemble({ q: { dtype: 'toString', shape: [], data_offsets: [0, 1] } }, [0]),
        ),
      "unknown or unsupported dtype 'toString'",
    );
  });

  it('rejects non-string metadata values and non-object metadata', () => {
    expectCheckpointError(
      () => decodeSafetensors(assemble({ __metadata__: { epoch: 3 } }), 'm'),
      "safetensors 'm': metadata value for key 'epoch' is a number; expected a string",
    );
    expectCheckpointError(
      () => decodeSafetensors(assemble({ __metadata__: ['a'] })),
      "'__metadata__' is an array; expected an object of string values",
    );
  });
});

describe('encodeSafetensors errors', () => {
  it('rejects non-string metadata values', () => {
    const meta = { epoch: 3 } as unknown as Record<string, string>;
    expectCheckpointError(
      () => encodeSafetensors({ x: Tensor.scalar(1) }, meta),
      "encodeSafetensors: metadata value for key 'epoch' is a number; expected a string",
    );
  });

  it('rejects a tensor named __metadata__ and non-tensors', () => {
    expectCheckpointError(
      () => encodeSafetensors({ __metadata__: Tensor.scalar(1) }),
      "a tensor cannot be named '__metadata__'",
    );
    const bad = { x: [1, 2] } as unknown as Record<string, Tensor>;
    expectCheckpointError(
      () => encodeSafetensors(bad),
      "tensor 'x' is an array; expected a Tensor",
    );
  });
});

describe('saveSafetensors / loadSafetensors', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genmodels-safetensors-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round trips through a file and leaves no temp files', async () => {
    const path = join(dir, 'model.safetensors');
    const tensors = {
      w: Tensor.from([
        [1, 2],
        [3, 4],
      ]),
      step: Tensor.scalar(10, 'int64'),
    };
    await saveSafetensors(path, tensors, { step: '10' });
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect(new Uint8Array(await readFile(path))).toEqual(
      encodeSafetensors(tensors, { step: '10' }),
    );
    const file = await loadSafetensors(path);
    expect(file.tensors.w.toArray()).toEqual([1, 2, 3, 4]);
    expect(file.tensors.step.data).toEqual(new BigInt64Array([10n]));
    expect(file.metadata).toEqual({ step: '10' });

    // Overwrite in place.
    await saveSafetensors(path, { w: Tensor.from([5]) });
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect((await loadSafetensors(path)).tensors.w.toArray()).toEqual([5]);
  });

  it('a save that fails to encode leaves no file and no temp file', async () => {
    const path = join(dir, 'bad.safetensors');
    const meta = { epoch: 3 } as unknown as Record<string, string>;
    await expect(saveSafetensors(path, { x: Tensor.scalar(1) }, meta)).rejects.toThrow(
      CheckpointError,
    );
    await expect(saveSafetensors(path, { x: Tensor.scalar(1) }, meta)).rejects.toThrow(
      `cannot save checkpoint '${path}': encodeSafetensors: metadata value for key 'epoch' is a number`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('a failing save keeps the previous file intact', async () => {
    const path = join(dir, 'keep.safetensors');
    await saveSafetensors(path, { x: Tensor.from([1, 2]) });
    const before = await readFile(path);
    const meta = { a: null } as unknown as Record<string, string>;
    await expect(saveSafetensors(path, { x: Tensor.from([3]) }, meta)).rejects.toThrow(
      CheckpointError,
    );
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(dir)).toEqual(['keep.safetensors']);
  });

  it('a save into a missing directory fails with a clear message and creates nothing', async () => {
    const path = join(dir, 'missing', 'model.safetensors');
    await expect(saveSafetensors(path, { x: Tensor.scalar(1) })).rejects.toThrow(
      `cannot save checkpoint '${path}': directory '${join(dir, 'missing')}' does not exist`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('a save over a directory fails and removes its temp file', async () => {
    const path = join(dir, 'adir');
    await mkdir(path);
    await writeFile(join(path, 'inner'), 'x');
    await expect(saveSafetensors(path, { x: Tensor.scalar(1) })).rejects.toThrow(
      `cannot save checkpoint '${path}': '${path}' is a directory`,
    );
    expect(await readdir(dir)).toEqual(['adir']);
    expect(await readdir(path)).toEqual(['inner']);
  });

  it('load of a missing file throws "checkpoint not found"', async () => {
    const path = join(dir, 'nope.safetensors');
    await expect(loadSafetensors(path)).rejects.toThrow(CheckpointError);
    await expect(loadSafetensors(path)).rejects.toThrow(`checkpoint not found: ${path}`);
  });

  it('load of a directory or corrupt file names the path', async () => {
    await expect(loadSafetensors(dir)).rejects.toThrow(`cannot read checkpoint '${dir}'`);
    const path = join(dir, 'corrupt.safetensors');
    await writeFile(path, new Uint8Array([1, 2, 3]));
    await expect(loadSafetensors(path)).rejects.toThrow(
      `safetensors '${path}': file is 3 bytes, shorter than the 8-byte header length prefix`,
    );
  });
});

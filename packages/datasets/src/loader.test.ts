import { DTypeError, Rng, Tensor } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import {
  binarize,
  DataLoader,
  DataLoaderError,
  dequantize,
  flatten,
  scaleTo01,
  scaleToMinus11,
  type TensorBatch,
  type Transform,
} from './loader.js';

// x row i = [i, i + 100] (int32), y = i (int64): lets a test check rows stay paired.
function toy(n: number) {
  const x = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = i + 100;
  }
  const y = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));
  return { x: new Tensor('int32', [n, 2], x), y: new Tensor('int64', [n], y) };
}

const ys = (batches: Iterable<TensorBatch>) => [...batches].flatMap((b) => b.y.toArray());

async function collect(loader: AsyncIterable<TensorBatch>): Promise<TensorBatch[]> {
  const out: TensorBatch[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

describe('DataLoader batching', () => {
  it('batch shapes, dtypes, length and the last partial batch', () => {
    const loader = new DataLoader(toy(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(loader.size).toBe(10);
    const batches = [...loader];
    expect(batches.map((b) => b.x.shape)).toEqual([
      [4, 2],
      [4, 2],
      [2, 2],
    ]);
    expect(batches[0].y.dtype).toBe('int64');
    expect(batches[0].x.dtype).toBe('int32');
    expect(ys(batches)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('dropLast drops only the incomplete batch', () => {
    const loader = new DataLoader(toy(10), { batchSize: 4, dropLast: true, shuffle: true });
    expect(loader.length).toBe(2);
    const batches = [...loader];
    expect(batches.map((b) => b.y.shape[0])).toEqual([4, 4]);
    expect(new DataLoader(toy(8), { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  it('shuffled: every example exactly once per epoch, rows stay paired, batches are copies', () => {
    const data = toy(37);
    const loader = new DataLoader(data, { batchSize: 8, shuffle: true, seed: 3 });
    for (let e = 0; e < 3; e++) {
      const batches = [...loader];
      const seen = ys(batches);
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 37 }, (_, i) => i));
      expect(seen).not.toEqual(Array.from({ length: 37 }, (_, i) => i));
      for (const b of batches) {
        const x = b.x.toArray();
        const y = b.y.toArray();
        for (let i = 0; i < y.length; i++)
          expect([x[2 * i], x[2 * i + 1]]).toEqual([y[i], y[i] + 100]);
      }
    }
    const first = [...loader][0];
    first.x.data[0] = -1;
    expect(data.x.data.includes(-1)).toBe(false);
  });

  it('seeded: same seed same epochs, a new permutation each epoch, other seed differs', () => {
    const mk = (seed: number) => new DataLoader(toy(50), { batchSize: 16, shuffle: true, seed });
    const a = mk(7);
    const b = mk(7);
    const a0 = ys(a);
    const a1 = ys(a);
    expect(ys(b)).toEqual(a0);
    expect(ys(b)).toEqual(a1);
    expect(a1).not.toEqual(a0);
    expect(ys(mk(8))).not.toEqual(a0);
    // Epoch e depends only on (seed, e), not on what was iterated before.
    expect(ys(mk(7).epoch(1))).toEqual(a1);
    expect(a.epochsStarted).toBe(2);
    const c = mk(7);
    c.setEpoch(1);
    expect(ys(c)).toEqual(a1);
    expect(Array.from(mk(7).order(0))).toEqual(a0);
    expect(() => c.setEpoch(-1)).toThrow(
      'DataLoader.setEpoch: epoch (-1) must be an integer in [0, 2^32)',
    );
    expect(() => [...c.epoch(1.5)]).toThrow(DataLoaderError);
  });

  it('validates its inputs with messages naming the problem', () => {
    const { x } = toy(4);
    const y = toy(5).y;
    expect(() => new DataLoader({ x, y }, { batchSize: 2 })).toThrow(
      /data.y has shape \[5\]; every tensor needs first dim 4 \(from data.x\)/,
    );
    expect(() => new DataLoader({ x }, { batchSize: 0 })).toThrow(DataLoaderError);
    expect(() => new DataLoader({}, { batchSize: 1 })).toThrow(/no tensors/);
    expect(() => new DataLoader({ x }, { batchSize: 2, prefetch: -1 })).toThrow(/prefetch/);
    expect(() => new DataLoader({ x }, { batchSize: 2, transforms: { img: [flatten()] } })).toThrow(
      'DataLoader: transforms.img names no data key; keys are x',
    );
    const bad = new DataLoader(toy(4), { batchSize: 2, transforms: { y: [scaleTo01()] } });
    expect(() => [...bad]).toThrow(DTypeError);
  });
});

describe('DataLoader async iteration and prefetch', () => {
  it('async epochs equal sync epochs for any prefetch depth', async () => {
    const ref = ys(new DataLoader(toy(23), { batchSize: 5, shuffle: true, seed: 1 }).epoch(0));
    for (const prefetch of [0, 1, 3, 10]) {
      const l = new DataLoader(toy(23), { batchSize: 5, shuffle: true, seed: 1, prefetch });
      expect(ys(await collect(l))).toEqual(ref);
      expect(l.epochsStarted).toBe(1);
    }
  });

  it('builds the next batches while the consumer awaits its step', async () => {
    let built = 0;
    const count: Transform = {
      name: 'count',
      apply: (t) => {
        built++;
        return t;
      },
    };
    const l = new DataLoader(toy(12), { batchSize: 2, prefetch: 2, transforms: { y: [count] } });
    // The "training step": many event-loop turns (no timers, so no race with the clock).
    // The loader must fill its queue during them, and never run further ahead than `prefetch`.
    const turn = () => new Promise((r) => setImmediate(r));
    const ahead: number[] = [];
    let consumed = 0;
    for await (const _ of l) {
      consumed++;
      for (let i = 0; i < 50; i++) await turn();
      ahead.push(built - consumed);
    }
    expect(consumed).toBe(6);
    expect(ahead).toEqual([2, 2, 2, 2, 1, 0]);
  });

  it('stops building after an early break and surfaces errors from a transform', async () => {
    let built = 0;
    const count: Transform = {
      name: 'count',
      apply: (t) => {
        built++;
        return t;
      },
    };
    const l = new DataLoader(toy(40), { batchSize: 2, prefetch: 3, transforms: { y: [count] } });
    for await (const _ of l) break;
    await new Promise((r) => setTimeout(r, 5));
    expect(built).toBeLessThanOrEqual(4);
    const boom: Transform = {
      name: 'boom',
      apply: () => {
        throw new Error('boom');
      },
    };
    const bad = new DataLoader(toy(4), { batchSize: 2, transforms: { x: [boom] } });
    await expect(collect(bad)).rejects.toThrow('boom');
  });
});

describe('transforms', () => {
  const pix = new Tensor('uint8', [2, 2, 2], new Uint8Array([0, 1, 64, 127, 128, 200, 254, 255]));
  const ctx = (seed = 0) => ({ rng: new Rng(seed), epoch: 0, key: 'x' });

  it('scaleTo01 and scaleToMinus11: exact endpoints and ranges, uint8 and float inputs', () => {
    const a = scaleTo01().apply(pix, ctx());
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([2, 2, 2]);
    expect(a.data[0]).toBe(0);
    expect(a.data[7]).toBe(1);
    expect(a.data[2]).toBe(Math.fround(64 / 255));
    const b = scaleToMinus11().apply(pix, ctx());
    expect([b.data[0], b.data[7]]).toEqual([-1, 1]);
    expect(b.data[4]).toBe(Math.fround(128 / 127.5 - 1));
    const f = new Tensor('float32', [1, 2], new Float32Array([0, 255]));
    expect(scaleTo01().apply(f, ctx()).toArray()).toEqual([0, 1]);
    expect(scaleToMinus11().apply(f, ctx()).toArray()).toEqual([-1, 1]);
  });

  it('flatten keeps the batch dim and shares data', () => {
    const f = flatten().apply(pix, ctx());
    expect(f.shape).toEqual([2, 4]);
    expect(f.data).toBe(pix.data);
  });

  it('dequantize: (x + u) / 256 with u ~ U[0, 1): bounds, mean and variance of u', () => {
    const n = 20000;
    const x = new Tensor(
      'uint8',
      [n, 1],
      Uint8Array.from({ length: n }, (_, i) => i % 256),
    );
    const d = dequantize().apply(x, ctx(5)).data as Float32Array;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = d[i] * 256 - x.data[i];
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      s2 += u * u;
    }
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.003);
    expect(dequantize().apply(x, ctx(5)).toArray()).toEqual(Array.from(d));
    expect(dequantize(new Rng(6)).apply(x, ctx(5)).data[0]).not.toBe(d[0]);
  });

  it('binarize: Bernoulli(x / 255), exact at 0 and 255, fresh draws per epoch', () => {
    const n = 20000;
    const x = new Tensor('uint8', [n], new Uint8Array(n).fill(64));
    const b = binarize().apply(x, ctx(1)).data as Float32Array;
    const mean = b.reduce((a, v) => a + v, 0) / n;
    expect(new Set(b)).toEqual(new Set([0, 1]));
    expect(Math.abs(mean - 64 / 255)).toBeLessThan(0.01);
    const ends = binarize().apply(new Tensor('uint8', [2], new Uint8Array([0, 255])), ctx(2));
    expect(ends.toArray()).toEqual([0, 1]);
    const p = new Tensor('float32', [n], new Float32Array(n).fill(0.9));
    const m =
      binarize()
        .apply(p, ctx(3))
        .toArray()
        .reduce((a, v) => a + v, 0) / n;
    expect(Math.abs(m - 0.9)).toBeLessThan(0.01);

    const imgs = new Tensor('uint8', [8, 4], new Uint8Array(32).fill(128));
    const l = new DataLoader(
      { x: imgs },
      { batchSize: 8, seed: 4, transforms: { x: [binarize()] } },
    );
    const e0 = [...l][0].x.toArray();
    const e1 = [...l][0].x.toArray();
    expect(e1).not.toEqual(e0);
    expect(
      [
        ...new DataLoader({ x: imgs }, { batchSize: 8, seed: 4, transforms: { x: [binarize()] } }),
      ][0].x.toArray(),
    ).toEqual(e0);
  });

  it('a typical MNIST-style pipeline: [B, 28, 28] uint8 -> [B, 784] float32 in [0, 1]', () => {
    const imgs = new Tensor(
      'uint8',
      [5, 28, 28],
      Uint8Array.from({ length: 5 * 784 }, (_, i) => i % 256),
    );
    const l = new DataLoader(
      { x: imgs },
      { batchSize: 2, transforms: { x: [scaleTo01(), flatten()] } },
    );
    const [b0] = [...l];
    expect(b0.x.shape).toEqual([2, 784]);
    expect(b0.x.dtype).toBe('float32');
    const v = b0.x.toArray();
    expect(Math.min(...v)).toBe(0);
    expect(Math.max(...v)).toBe(1);
  });
});

/**
 * DataLoader: seeded per-epoch shuffling, batching, per-key transforms and async prefetch
 * over a record of host tensors that share their first dimension. Batches are runtime
 * Tensors, so a loader can be passed straight to `fit()`.
 */
import { DTypeError, GenmodelsError, Rng, Tensor } from '@genmodels/runtime';

/** Invalid DataLoader input or options (mismatched lengths, bad batch size, unknown keys). */
export class DataLoaderError extends GenmodelsError {}

/** One batch: the same keys as the loader's data, each `[B, ...]`. */
export type TensorBatch = Record<string, Tensor>;

/** What a transform gets besides the tensor: a random stream owned by (seed, epoch, key). */
export interface TransformContext {
  /** Seeded noise stream for this key in this epoch (consumed in batch order). */
  rng: Rng;
  /** 0-based epoch of the batch being built. */
  epoch: number;
  /** The batch key being transformed, e.g. `x`. */
  key: string;
}

/** A per-batch transform: takes `[B, ...]`, returns `[B, ...]` (may change dtype and shape). */
export interface Transform {
  readonly name: string;
  apply(x: Tensor, ctx: TransformContext): Tensor;
}

function floatInput(name: string, x: Tensor): Float32Array {
  if (x.dtype === 'float32') return x.data as Float32Array;
  if (x.dtype === 'int32') return Float32Array.from(x.data as Int32Array);
  throw new DTypeError(
    `${name}: input dtype '${x.dtype}' is not supported; expected uint8 pixels, int32 or float32`,
  );
}

// x / div - sub, computed in float64 then rounded once, so 0 and 255 map exactly onto the
// interval ends. Monomorphic loops per input type keep this at memory speed.
function scalePixels(name: string, x: Tensor, div: number, sub: number): Tensor {
  const out = new Float32Array(x.size);
  if (x.dtype === 'uint8') {
    const src = x.data as Uint8Array;
    for (let i = 0; i < src.length; i++) out[i] = src[i] / div - sub;
  } else {
    const src = floatInput(name, x);
    for (let i = 0; i < src.length; i++) out[i] = src[i] / div - sub;
  }
  return new Tensor('float32', x.shape, out);
}

/**
 * Pixels 0..255 to float32 in [0, 1] (x / 255).
 * @example new DataLoader({ x: images }, { batchSize: 128, transforms: { x: [scaleTo01()] } })
 */
export function scaleTo01(): Transform {
  return { name: 'scaleTo01', apply: (x) => scalePixels('scaleTo01', x, 255, 0) };
}

/**
 * Pixels 0..255 to float32 in [-1, 1] (x / 127.5 - 1), e.g. for tanh generators.
 * @example transforms: { x: [scaleToMinus11()] }
 */
export function scaleToMinus11(): Transform {
  return {
    name: 'scaleToMinus11',
    apply: (x) => scalePixels('scaleToMinus11', x, 127.5, 1),
  };
}

/**
 * `[B, d1, d2, ...]` to `[B, d1 * d2 * ...]`, zero-copy.
 * @example transforms: { x: [scaleTo01(), flatten()] } // [128, 28, 28] -> [128, 784]
 */
export function flatten(): Transform {
  return {
    name: 'flatten',
    apply: (x) => x.reshape([x.shape[0], x.shape[0] === 0 ? 0 : x.size / x.shape[0]]),
  };
}

// 16 random bits per pixel, two per Philox word: half the generator work of rng.uniform().
// For dequantization that is still exact float32 output: (256 x + u16 / 256) / 2^16 has at
// most 24 significant bits. For binarization it bounds the probability error by 2^-16.
function random16(rng: Rng, n: number): Uint16Array {
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i += 2) {
    const w = rng.nextUint32();
    out[i] = w & 0xffff;
    if (i + 1 < n) out[i + 1] = w >>> 16;
  }
  return out;
}

/**
 * Uniform dequantization of integer pixels 0..255: `(x + u) / 256` with u uniform on
 * [0, 1) in steps of 2^-16, float32 in [0, 1). Apply it to raw pixels, before any scaling.
 * Noise comes from `rng` when given, else from the loader's (seed, epoch, key) stream.
 * @example transforms: { x: [dequantize(), flatten()] } // RealNVP-style inputs
 */
export function dequantize(rng?: Rng): Transform {
  return {
    name: 'dequantize',
    apply: (x, ctx) => {
      const u = random16(rng ?? ctx.rng, x.size);
      const out = new Float32Array(x.size);
      const k = 1 / 256;
      const ku = 1 / 2 ** 24;
      if (x.dtype === 'uint8') {
        const src = x.data as Uint8Array;
        for (let i = 0; i < out.length; i++) out[i] = src[i] * k + u[i] * ku;
      } else {
        const src = floatInput('dequantize', x);
        for (let i = 0; i < out.length; i++) out[i] = src[i] * k + u[i] * ku;
      }
      return new Tensor('float32', x.shape, out);
    },
  };
}

/**
 * Dynamic binarization: each pixel becomes 1 with probability p, else 0 (float32), drawn
 * anew every epoch. p = x / 255 for uint8 input, p = x for float input already in [0, 1];
 * p is resolved to 2^-16 (exact at 0 and 1).
 * @example transforms: { x: [binarize(), flatten()] } // Bernoulli-VAE inputs
 */
export function binarize(rng?: Rng): Transform {
  return {
    name: 'binarize',
    apply: (x, ctx) => {
      const u = random16(rng ?? ctx.rng, x.size);
      const out = new Float32Array(x.size);
      if (x.dtype === 'uint8') {
        const src = x.data as Uint8Array;
        for (let i = 0; i < out.length; i++) out[i] = u[i] * 255 < src[i] * 65536 ? 1 : 0;
      } else {
        const src = floatInput('binarize', x);
        for (let i = 0; i < out.length; i++) out[i] = u[i] < src[i] * 65536 ? 1 : 0;
      }
      return new Tensor('float32', x.shape, out);
    },
  };
}

/** Options of a DataLoader. */
export interface DataLoaderOptions {
  /** Examples per batch (positive integer). */
  batchSize: number;
  /** Reshuffle every epoch (default false: data order). */
  shuffle?: boolean;
  /** Seed of the shuffles and of the transforms' noise (default 0). */
  seed?: number | bigint;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Transforms per key, applied in order: `{ x: [scaleTo01(), flatten()] }`. */
  transforms?: Record<string, readonly Transform[]>;
  /** Batches built ahead during async iteration (default 2; 0 builds on demand). */
  prefetch?: number;
}

// setImmediate runs after pending I/O callbacks, so prefetching yields to the consumer's
// awaited work (an ONNX Runtime step) instead of starving it; browsers fall back to setTimeout.
const defer: (f: () => void) => void =
  typeof setImmediate === 'function' ? (f) => setImmediate(f) : (f) => setTimeout(f, 0);

/**
 * Batches over `data` (tensors `[N, ...]` sharing N). Iterable and async-iterable, and
 * re-iterable: the k-th iteration started is epoch k, whose order and noise depend only on
 * (seed, k): Philox key = seed, order stream at counter (0, 0, k, 0), key j's noise stream at
 * (0, 0, k, j + 1). Batches are fresh tensors (never views of `data`); untransformed keys
 * keep their dtype (int64 labels stay int64).
 *
 * @example
 * const { images, labels } = await mnist.train();
 * const loader = new DataLoader({ x: images, y: labels }, {
 *   batchSize: 128, shuffle: true, seed: 0, transforms: { x: [scaleTo01(), flatten()] },
 * });
 * for await (const { x, y } of loader) { ... } // x: float32 [128, 784], y: int64 [128]
 * await fit(step, loader, { epochs: 10, lr: 1e-3 });
 */
export class DataLoader implements Iterable<TensorBatch>, AsyncIterable<TensorBatch> {
  /** Number of examples N. */
  readonly size: number;
  /** Number of batches per epoch. */
  readonly length: number;
  readonly batchSize: number;
  private readonly data: Record<string, Tensor>;
  private readonly keys: string[];
  private readonly opts: Required<Omit<DataLoaderOptions, 'seed'>>;
  private readonly seedKey: [number, number];
  private started = 0;

  constructor(data: Record<string, Tensor>, opts: DataLoaderOptions) {
    this.keys = Object.keys(data);
    if (this.keys.length === 0) throw new DataLoaderError('DataLoader: data has no tensors');
    const first = data[this.keys[0]];
    for (const k of this.keys) {
      const t = data[k];
      if (t.rank === 0 || t.shape[0] !== first.shape[0]) {
        throw new DataLoaderError(
          `DataLoader: data.${k} has shape [${t.shape.join(', ')}]; every tensor needs first dim ${first.shape[0]} (from data.${this.keys[0]})`,
        );
      }
    }
    const { batchSize, prefetch = 2 } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DataLoaderError(`DataLoader: batchSize (${batchSize}) must be a positive integer`);
    }
    if (!Number.isInteger(prefetch) || prefetch < 0) {
      throw new DataLoaderError(`DataLoader: prefetch (${prefetch}) must be an integer >= 0`);
    }
    const transforms = opts.transforms ?? {};
    for (const k of Object.keys(transforms)) {
      if (!(k in data)) {
        throw new DataLoaderError(
          `DataLoader: transforms.${k} names no data key; keys are ${this.keys.join(', ')}`,
        );
      }
    }
    this.data = { ...data };
    this.size = first.shape[0];
    this.batchSize = batchSize;
    const dropLast = opts.dropLast ?? false;
    this.length = dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
    this.opts = { batchSize, prefetch, dropLast, shuffle: opts.shuffle ?? false, transforms };
    this.seedKey = new Rng(opts.seed ?? 0).state().key;
  }

  /** Epochs begun so far; the next iteration is epoch `epochsStarted`. */
  get epochsStarted(): number {
    return this.started;
  }

  /** Start the next iteration at `epoch` (e.g. when resuming training). */
  setEpoch(epoch: number): void {
    checkEpoch('setEpoch', epoch);
    this.started = epoch;
  }

  /**
   * Example order of `epoch`: a seeded permutation when shuffling, else 0..N-1.
   * @example loader.order(0) // Int32Array [N]
   */
  order(epoch: number): Int32Array {
    checkEpoch('order', epoch);
    if (!this.opts.shuffle) return Int32Array.from({ length: this.size }, (_, i) => i);
    return this.stream(epoch, 0).permutation(this.size);
  }

  /**
   * The batches of one epoch, built on demand (does not advance `epochsStarted`).
   * @example for (const b of loader.epoch(3)) ...
   */
  *epoch(epoch: number): Generator<TensorBatch> {
    const order = this.order(epoch);
    const rngs = this.keys.map((_, j) => this.stream(epoch, j + 1));
    for (let b = 0; b < this.length; b++) {
      const idx = order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, this.size));
      const batch: TensorBatch = {};
      this.keys.forEach((key, j) => {
        let t = gather(this.data[key], idx);
        for (const tr of this.opts.transforms[key] ?? []) {
          t = tr.apply(t, { rng: rngs[j], epoch, key });
        }
        batch[key] = t;
      });
      yield batch;
    }
  }

  [Symbol.iterator](): Iterator<TensorBatch> {
    return this.epoch(this.started++);
  }

  /** Async iteration builds up to `prefetch` batches ahead while the consumer awaits its step. */
  [Symbol.asyncIterator](): AsyncIterator<TensorBatch> {
    return this.prefetched(this.epoch(this.started++));
  }

  private async *prefetched(it: Generator<TensorBatch>): AsyncGenerator<TensorBatch> {
    const ahead = this.opts.prefetch;
    if (ahead === 0) {
      yield* it;
      return;
    }
    let stopped = false;
    const queue: Promise<IteratorResult<TensorBatch>>[] = [];
    const schedule = () => {
      const p = new Promise<IteratorResult<TensorBatch>>((res, rej) =>
        defer(() => {
          if (stopped) return res({ done: true, value: undefined });
          try {
            res(it.next());
          } catch (e) {
            rej(e);
          }
        }),
      );
      p.catch(() => {}); // surfaced when awaited below; avoid an unhandled rejection meanwhile
      queue.push(p);
    };
    try {
      for (let i = 0; i < ahead; i++) schedule();
      for (;;) {
        const r = await (queue.shift() as Promise<IteratorResult<TensorBatch>>);
        if (r.done) return;
        schedule();
        yield r.value;
      }
    } finally {
      stopped = true;
    }
  }

  private stream(epoch: number, s: number): Rng {
    return Rng.fromState({ key: this.seedKey, counter: [0, 0, epoch, s], buffered: [] });
  }
}

function checkEpoch(method: string, epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch >= 2 ** 32) {
    throw new DataLoaderError(
      `DataLoader.${method}: epoch (${epoch}) must be an integer in [0, 2^32)`,
    );
  }
}

/** Rows `idx` of `t` (`[N, ...]`) as a new tensor `[idx.length, ...]`. */
function gather(t: Tensor, idx: Int32Array): Tensor {
  const n = t.shape[0];
  const row = n === 0 ? 0 : t.size / n;
  const src = t.data;
  const out = new (src.constructor as { new (n: number): typeof src })(idx.length * row);
  if (row === 1) {
    for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]];
  } else {
    for (let i = 0; i < idx.length; i++) {
      const a = idx[i] * row;
      out.set(src.subarray(a, a + row) as never, i * row);
    }
  }
  return new Tensor(t.dtype, [idx.length, ...t.shape.slice(1)], out);
}

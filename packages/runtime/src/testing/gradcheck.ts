/**
 * The shared gradient check: compares the traced VJP with central differences
 * along seeded random directions (JAX's `check_grads` dot-product test).
 *
 *   analytic = sum_i <d<u, f(x)>/dx_i, v_i>       (one compiled graph)
 *   numeric  = (<u, f(x + eps v)> - <u, f(x - eps v)>) / (2 eps)
 *
 * The dot products are accumulated in float64 on the host, so float32 rounding
 * only enters through f itself.
 */
import { grad } from '../autodiff/grad.js';
import type { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import type { Dim } from '../graph/shape.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Rng } from '../rng.js';
import { type DType, sizeOf, Tensor } from '../tensor.js';

export interface GradcheckInput {
  /** Concrete shape of the test data. */
  shape: readonly number[];
  /** Declared (traced) dims, e.g. `['batch', 3]`; defaults to `shape`. */
  dims?: readonly Dim[];
  dtype?: DType;
  /** Data; default: standard normal (float) from the seeded RNG. */
  data?:
    | Tensor
    | ((rng: Rng, size: number) => Float32Array | Int32Array | BigInt64Array | Uint8Array);
  /** Perturb and check this input (default: true for float32). */
  check?: boolean;
}

export interface GradcheckOptions {
  seed?: number;
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Random directions to test. */
  directions?: number;
}

export interface GradcheckResult {
  analytic: number[];
  numeric: number[];
  ok: boolean;
  message: string;
}

function makeData(spec: GradcheckInput, rng: Rng): Tensor {
  const dtype = spec.dtype ?? 'float32';
  if (spec.data instanceof Tensor) return spec.data;
  const n = sizeOf(spec.shape);
  const data = spec.data ? spec.data(rng, n) : rng.normal(n);
  return new Tensor(dtype, spec.shape, data as never);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Check the VJP of `fn` at seeded random inputs. Returns both estimates per
 * direction; `ok` when every pair agrees within `atol + rtol * max(|a|, |n|)`.
 */
export async function gradcheck(
  rt: Runtime,
  inputs: Readonly<Record<string, GradcheckInput>>,
  fn: (x: Record<string, Value>) => Value,
  opts: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const { seed = 0, eps = 1e-3, rtol = 1e-2, atol = 1e-3, directions = 2 } = opts;
  const rng = new Rng(seed);
  const g = new Graph('gradcheck');
  const vals: Record<string, Value> = {};
  const data: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    data[name] = makeData(spec, rng);
    vals[name] = g.input(name, data[name].dtype, spec.dims ?? spec.shape);
  }
  const checked = Object.keys(inputs).filter(
    (k) => (inputs[k].check ?? true) && data[k].dtype === 'float32',
  );
  const y = fn(vals);
  const u = g.input('__u', 'float32', y.shape);
  const loss = sum(mul(y, u));
  const grads = grad(
    loss,
    checked.map((k) => vals[k]),
  );
  const exe = await rt.compile(g, {
    __y: y,
    ...Object.fromEntries(checked.map((k, i) => [`__g_${k}`, grads[i]])),
  });

  const analytic: number[] = [];
  const numeric: number[] = [];
  const yShape = concrete(y.shape, data, inputs);
  const uData = new Tensor('float32', yShape, rng.normal(sizeOf(yShape)));
  const base = await exe.runHost({ ...data, __u: uData });
  for (let d = 0; d < directions; d++) {
    const dirs = Object.fromEntries(checked.map((k) => [k, rng.normal(data[k].size)]));
    analytic.push(
      checked.reduce((s, k) => s + dot(base[`__g_${k}`].data as Float32Array, dirs[k]), 0),
    );
    const at = async (sgn: number) => {
      const feed: Record<string, Tensor> = { ...data, __u: uData };
      for (const k of checked) {
        const x = data[k].data as Float32Array;
        feed[k] = new Tensor(
          'float32',
          data[k].shape,
          x.map((xi, i) => xi + sgn * eps * dirs[k][i]),
        );
      }
      const out = await exe.runHost(feed);
      return dot(out.__y.data as Float32Array, uData.data as Float32Array);
    };
    numeric.push(((await at(1)) - (await at(-1))) / (2 * eps));
  }
  await exe.dispose();
  const bad = analytic.findIndex(
    (a, i) =>
      !(Math.abs(a - numeric[i]) <= atol + rtol * Math.max(Math.abs(a), Math.abs(numeric[i]))),
  );
  const message =
    bad < 0
      ? 'ok'
      : `gradcheck failed in direction ${bad}: analytic ${analytic[bad]} vs numeric ${numeric[bad]} (rtol ${rtol}, atol ${atol})`;
  return { analytic, numeric, ok: bad < 0, message };
}

/** Concrete output shape: symbolic dims resolved from the input data they came from. */
function concrete(
  shape: readonly Dim[],
  data: Record<string, Tensor>,
  inputs: Readonly<Record<string, GradcheckInput>>,
): number[] {
  const sizes = new Map<string, number>();
  for (const [k, spec] of Object.entries(inputs)) {
    (spec.dims ?? []).forEach((d, i) => {
      if (typeof d === 'string') sizes.set(d, data[k].shape[i]);
    });
  }
  return shape.map((d) => (typeof d === 'number' ? d : resolve(d, sizes)));
}

function resolve(d: string, sizes: Map<string, number>): number {
  return d
    .split('*')
    .reduce(
      (p, part) => p * (/^\d+$/.test(part) ? Number(part) : (sizes.get(part) ?? Number.NaN)),
      1,
    );
}

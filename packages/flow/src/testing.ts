/** Test helpers (not exported from the package): perturbed weights, Jacobians by autograd and by finite differences. */
import {
  compileInference,
  grad,
  type Module,
  ops,
  Rng,
  type Runtime,
  Tensor,
  type Value,
} from '@genmodels/runtime';
import { type TraceContext, withTrace } from '@genmodels/runtime/internal';
import {
  type GradcheckInput,
  type GradcheckOptions,
  type GradcheckResult,
  gradcheck,
} from '@genmodels/runtime/testing';
import type { FlowLayer } from './layer.js';
import { indexConst } from './layer.js';
import { logAbsDet } from './linalg.js';
import type { FlowNetwork } from './network.js';

/** Add N(0, std^2) noise to every trainable parameter, so zero-initialized couplings are no longer the identity. */
export function perturb(m: Module, seed: number, std = 0.3): void {
  const rng = new Rng(seed);
  for (const [, p] of m.namedParameters()) {
    const d = Float32Array.from(p.data.data as Float32Array);
    const z = rng.normal(d.length);
    for (let i = 0; i < d.length; i++) d[i] += std * z[i];
    p.data = new Tensor('float32', [...p.shape], d);
  }
}

/**
 * Per point of x [B, D]: log|det J| of the layer computed from its Jacobian by autograd
 * (row j = grad of y_j), in float64; and the layer's own log-det output.
 */
export async function jacobianLogdet(
  rt: Runtime,
  layer: FlowLayer,
  x: Tensor<'float32'>,
): Promise<{ fromJacobian: number[]; reported: number[] }> {
  const [b, d] = x.shape;
  const exe = await compileInference(rt, layer, { x: { dtype: 'float32', shape: [b, d] } }, (i) => {
    const { y, logdet } = layer.call(i.x);
    const out: Record<string, Value> = { logdet: ops.add(logdet, ops.mul(ops.sum(i.x, 1), 0)) };
    for (let j = 0; j < d; j++) {
      const yj = ops.sum(ops.gather(y, indexConst(y, [j]), 1));
      out[`row${j}`] = grad(yj, [i.x])[0];
    }
    return out;
  });
  const out = await exe.runHost({ x });
  const fromJacobian: number[] = [];
  for (let n = 0; n < b; n++) {
    const jac = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      const row = out[`row${j}`].data as Float32Array;
      for (let k = 0; k < d; k++) jac[j * d + k] = row[n * d + k];
    }
    fromJacobian.push(logAbsDet(jac, d));
  }
  return { fromJacobian, reported: Array.from(out.logdet.data as Float32Array) };
}

/** The layer's own log-det output per point of x [B, D]. */
export async function layerLogdet(
  rt: Runtime,
  layer: FlowLayer,
  x: Tensor<'float32'>,
): Promise<number[]> {
  const exe = await compileInference(
    rt,
    layer,
    { x: { dtype: 'float32', shape: x.shape } },
    (i) => ({
      logdet: ops.add(layer.call(i.x).logdet, ops.mul(ops.sum(i.x, 1), 0)),
    }),
  );
  const out = await exe.runHost({ x });
  await exe.dispose();
  return Array.from(out.logdet.data as Float32Array);
}

/** log|det J| per point from central finite differences of the layer's forward (float32, so loose). */
export async function finiteDifferenceLogdet(
  rt: Runtime,
  layer: FlowLayer,
  x: Tensor<'float32'>,
  eps = 1e-2,
): Promise<number[]> {
  const [b, d] = x.shape;
  const exe = await compileInference(
    rt,
    layer,
    { x: { dtype: 'float32', shape: ['batch', d] } },
    (i) => ({
      y: ops.identity(layer.call(i.x).y),
    }),
  );
  // Rows: for each point n and coordinate k, x + eps e_k then x - eps e_k.
  const shifted = new Float32Array(b * d * 2 * d);
  for (let n = 0; n < b; n++)
    for (let k = 0; k < d; k++)
      for (const [s, sign] of [
        [0, 1],
        [1, -1],
      ] as const) {
        const r = (n * d + k) * 2 + s;
        shifted.set(x.data.subarray(n * d, (n + 1) * d), r * d);
        shifted[r * d + k] += sign * eps;
      }
  const y = (await exe.runHost({ x: new Tensor('float32', [b * d * 2, d], shifted) })).y
    .data as Float32Array;
  const out: number[] = [];
  for (let n = 0; n < b; n++) {
    const jac = new Float64Array(d * d);
    for (let k = 0; k < d; k++) {
      const plus = (n * d + k) * 2 * d;
      const minus = plus + d;
      for (let j = 0; j < d; j++) jac[j * d + k] = (y[plus + j] - y[minus + j]) / (2 * eps);
    }
    out.push(logAbsDet(jac, d));
  }
  return out;
}

/**
 * n points [n, 2] of a noisy two-turn spiral (radius up to 3 pi), scaled by `scale` and
 * shifted by `shift` in both coordinates: data in units far from the toy sets'.
 */
export function spiralPoints(n: number, seed: number, scale = 1, shift = 0): Tensor<'float32'> {
  const rng = new Rng(seed);
  const u = rng.uniform(n);
  const e = rng.normal([n, 2]);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = Math.sqrt(u[i]) * 3 * Math.PI;
    out[2 * i] = shift + scale * (t * Math.cos(t) + 0.2 * e[2 * i]);
    out[2 * i + 1] = shift + scale * (t * Math.sin(t) + 0.2 * e[2 * i + 1]);
  }
  return new Tensor('float32', [n, 2], out);
}

/** Points [n, d] as CSV text with a header row (x0,x1,...). */
export function pointsCsv(x: Tensor): string {
  const [n, d] = x.shape;
  const v = x.data as Float32Array;
  const lines = [Array.from({ length: d }, (_, j) => `x${j}`).join(',')];
  for (let i = 0; i < n; i++) lines.push(Array.from(v.subarray(i * d, (i + 1) * d)).join(','));
  return `${lines.join('\n')}\n`;
}

/** Column means of points [n, d]. */
export function columnMeans(x: Tensor): number[] {
  const [n, d] = x.shape;
  const v = x.data as Float32Array;
  const m = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j] += v[i * d + j] / n;
  return m;
}

/**
 * The shared gradcheck (central differences in seeded random directions) of the mean NLL
 * -mean(log p(x)) of `net` with respect to the parameters named in `keys` (state-dict keys),
 * the other tensors held as constants: the gradient a training step uses.
 */
export async function nllGradcheck(
  rt: Runtime,
  net: FlowNetwork,
  keys: readonly string[],
  x: Tensor<'float32'>,
  opts: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const tensors = new Map(net.namedTensors());
  const inputs: Record<string, GradcheckInput> = { x: { shape: x.shape, data: x, check: false } };
  for (const k of keys) {
    const p = tensors.get(k);
    if (!p) throw new Error(`nllGradcheck: no parameter '${k}'`);
    inputs[k] = { shape: p.shape, data: p.data };
  }
  net.setPaths();
  return gradcheck(
    rt,
    inputs,
    (v) => {
      const ctx: TraceContext = {
        graph: v.x.graph,
        training: true,
        bindings: new Map(),
        updates: new Map(),
        noise: new Map(),
      };
      for (const [k, p] of tensors) ctx.bindings.set(p, v[k] ?? v.x.graph.constant(p.data.clone()));
      return withTrace(ctx, () => ops.neg(ops.mean(net.logProb(v.x))));
    },
    opts,
  );
}

/**
 * The multi-scale flow's correctness: squeeze against pixel_unshuffle, exact invertibility,
 * the log-determinant against Jacobians by finite differences and by autograd, the NLL's
 * gradient against finite differences, and exact parameter counts.
 */
import { Graph, Rng, Runtime, Tensor } from '@genmodels/runtime';
import { gradcheck } from '@genmodels/runtime/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FLOW_PRESETS,
  Flow,
  type FlowConfig,
  FlowNetwork,
  flowParameterCount,
  multiscaleShapes,
  resolveConfig,
} from './index.js';
import { MultiScaleFlow } from './multiscale.js';
import { squeeze2d, unsqueeze2d } from './squeeze.js';
import {
  finiteDifferenceLogdet,
  jacobianLogdet,
  layerLogdet,
  nllGradcheck,
  perturb,
} from './testing.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
});

/** A tiny multi-scale config over images [c, s, s] (4 channels, 1 residual block). */
function tiny(c: number, s: number, scales: number, pixels = true): FlowConfig {
  return resolveConfig({
    arch: 'multiscale',
    imageChannels: c,
    imageSize: s,
    scales,
    hidden: 4,
    depth: 1,
    pixels,
    batchSize: 4,
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('squeeze', () => {
  it("is PyTorch's pixel_unshuffle(2) and unsqueeze2d undoes it", async () => {
    const [b, c, h, w] = [2, 3, 4, 6];
    const n = b * c * h * w;
    const x = new Tensor(
      'float32',
      [b, c, h, w],
      Float32Array.from({ length: n }, (_, i) => i),
    );
    const g = new Graph('squeeze');
    const xv = g.input('x', 'float32', [b, c, h, w]);
    const y = squeeze2d(xv);
    expect(y.shape).toEqual([b, 4 * c, h / 2, w / 2]);
    const exe = await rt.compile(g, { y, back: unsqueeze2d(y) });
    const out = await exe.runHost({ x });
    await exe.dispose();
    // y[n, c * 4 + dy * 2 + dx, i, j] = x[n, c, 2i + dy, 2j + dx]
    const want = new Float32Array(n);
    for (let s = 0; s < b; s++)
      for (let ch = 0; ch < c; ch++)
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++)
            for (let i = 0; i < h / 2; i++)
              for (let j = 0; j < w / 2; j++) {
                const o = ((s * 4 * c + ch * 4 + dy * 2 + dx) * (h / 2) + i) * (w / 2) + j;
                want[o] = ((s * c + ch) * h + 2 * i + dy) * w + 2 * j + dx;
              }
    expect(Array.from(out.y.data as Float32Array)).toEqual(Array.from(want));
    expect(Array.from(out.back.data as Float32Array)).toEqual(Array.from(x.data));
  });

  it('has the gradient of a permutation (Reshape / Transpose VJPs, gradcheck)', async () => {
    const r = await gradcheck(rt, { x: { shape: [2, 2, 4, 4] } }, (v) => squeeze2d(v.x), {
      seed: 1,
    });
    expect(r.ok, r.message).toBe(true);
    const u = await gradcheck(rt, { x: { shape: [2, 8, 2, 2] } }, (v) => unsqueeze2d(v.x), {
      seed: 2,
    });
    expect(u.ok, u.message).toBe(true);
  });
});

describe('multi-scale flow', () => {
  it('inverse(forward(x)) = x to 1e-4 on random [2, 3, 8, 8] images (2 scales, perturbed)', async () => {
    const flow = Flow.create(rt, tiny(3, 8, 2), { seed: 1 });
    perturb(flow.net, 2, 0.1);
    const y = new Tensor('float32', [2, 192], new Rng(3).uniform([2, 192], 0.02, 0.98));
    const { z, logdet } = await flow.forward(y);
    // Really not the logit alone: the couplings move z and add to the log-det.
    const zero = Flow.create(rt, tiny(3, 8, 2), { seed: 1 });
    const plain = await zero.forward(y);
    expect(maxAbsDiff(z.data, plain.z.data)).toBeGreaterThan(0.1);
    expect(maxAbsDiff(logdet.data, plain.logdet.data)).toBeGreaterThan(0.1);
    const back = await flow.inverse(z);
    expect(back.shape).toEqual([2, 192]);
    expect(maxAbsDiff(back.data, y.data)).toBeLessThan(1e-4);
    // log p = log N(z) + logdet over all D values (factored-out parts included).
    const lp = await flow.logProb(y);
    for (let i = 0; i < 2; i++) {
      let sq = 0;
      for (let k = 0; k < 192; k++) sq += z.data[i * 192 + k] ** 2;
      const want = -0.5 * sq - 96 * Math.log(2 * Math.PI) + logdet.data[i];
      expect(Math.abs(lp.data[i] - want)).toBeLessThan(1e-3 * Math.abs(want) + 1e-3);
    }
  });

  it('log-det = log|det J| by finite differences and by autograd ([1, 2, 4, 4], [1, 1, 8, 8])', async () => {
    for (const [c, s, scales, seed] of [
      [2, 4, 1, 4],
      [1, 8, 2, 5],
      [2, 4, 0, 6],
    ] as const) {
      const net = new FlowNetwork(tiny(c, s, scales, false), new Rng(seed));
      perturb(net, seed + 1, 0.05);
      const layer = net.layers[0];
      expect(layer).toBeInstanceOf(MultiScaleFlow);
      const d = c * s * s;
      const x = new Tensor('float32', [1, d], new Rng(seed + 2).normal([1, d]));
      const fd = await finiteDifferenceLogdet(rt, layer, x, 1e-3);
      const reported = (await layerLogdet(rt, layer, x))[0];
      expect(Math.abs(reported)).toBeGreaterThan(0.05); // not the identity
      expect(Math.abs(reported - fd[0]), `${c}x${s}x${s}, scales ${scales}`).toBeLessThan(5e-3);
      // The exact Jacobian by autograd (one gradient per output: the smallest case only).
      if (seed === 4) {
        const { fromJacobian } = await jacobianLogdet(rt, layer, x);
        expect(Math.abs(reported - fromJacobian[0])).toBeLessThan(1e-3);
      }
    }
  });

  it('the gradient of the NLL matches finite differences for parameters of every kind of coupling', async () => {
    const cfg = tiny(2, 4, 1);
    const net = new FlowNetwork(cfg, new Rng(7));
    perturb(net, 8, 0.1);
    const x = new Tensor('float32', [3, 32], new Rng(9).uniform([3, 32], 0.05, 0.95));
    const keys = [
      'layers.0.levels.0.checker.0.net.input.weight',
      'layers.0.levels.0.checker.1.net.blocks.0.conv2.bias',
      'layers.0.levels.0.channel.2.net.output.weight',
      'layers.0.levels.0.channel.0.scale',
      'layers.0.final.3.net.output.bias',
      'layers.0.final.0.scale',
    ];
    const names = net.namedParameters().map(([k]) => k);
    for (const k of keys) expect(names).toContain(k);
    // Small steps: the nets' ReLU kinks make larger ones inexact (float32 noise ~3e-3 here).
    const r = await nllGradcheck(rt, net, keys, x, {
      seed: 3,
      eps: 3e-4,
      rtol: 1e-2,
      atol: 1e-2,
      directions: 3,
    });
    expect(r.ok, r.message).toBe(true);
  });

  it('counts parameters exactly (what the network holds)', () => {
    const held = (cfg: FlowConfig) =>
      Object.values(new FlowNetwork(cfg, new Rng(0)).stateDict()).reduce((n, t) => n + t.size, 0);
    for (const cfg of [
      tiny(3, 8, 2),
      tiny(1, 4, 0),
      tiny(2, 4, 1, false),
      resolveConfig({ arch: 'multiscale', imageHeight: 8, imageWidth: 4, scales: 2, hidden: 3 }),
      resolveConfig('cifar-realnvp'),
    ])
      expect(flowParameterCount(cfg), JSON.stringify(cfg)).toBe(held(cfg));
    // cifar-realnvp by hand: k x k convs hold in*out*k*k + out. Nets 3x3, 64 channels, 2 blocks.
    const conv = (i: number, o: number) => i * o * 9 + o;
    const net = (i: number, o: number) => conv(i, 64) + 4 * conv(64, 64) + conv(64, o);
    const checker = (c: number) => c + net(c, 2 * c); // scales [C, 1, 1] + net
    const channel = (c4: number) => c4 / 2 + net(c4 / 2, c4);
    // 3 checkerboard at 3x32x32, 3 channel-wise at 12x16x16, 4 checkerboard at 6x16x16.
    const want = 3 * checker(3) + 3 * channel(12) + 4 * checker(6);
    expect(want).toBe(1_566_041);
    expect(flowParameterCount(resolveConfig('cifar-realnvp'))).toBe(want);
    expect(multiscaleShapes([3, 32, 32], 1)).toEqual({ levels: [[3, 32, 32]], final: [6, 16, 16] });
  });

  it('cifar-realnvp is the paper-shaped CIFAR-10 config at CPU width', () => {
    expect(FLOW_PRESETS['cifar-realnvp'].config).toEqual({
      dim: 3072,
      imageSize: 32,
      imageChannels: 3,
      arch: 'multiscale',
      scales: 1,
      couplings: 10,
      hidden: 64,
      depth: 2,
      mask: 'alternating',
      actnorm: false,
      mixing: 'none',
      pixels: true,
      logitAlpha: 0.05,
      lr: 1e-3,
      batchSize: 64,
      clipNorm: 100,
    });
    const net = new FlowNetwork(resolveConfig('cifar-realnvp'), new Rng(0));
    const keys = Object.keys(net.stateDict());
    expect(keys[0]).toBe('layers.0.levels.0.checker.0.scale');
    expect(keys.at(-1)).toBe('layers.0.final.3.net.output.bias');
    expect(net.stateDict()['layers.0.levels.0.checker.0.net.input.weight'].shape).toEqual([
      64, 3, 3, 3,
    ]);
    expect(net.stateDict()['layers.0.levels.0.channel.0.net.input.weight'].shape).toEqual([
      64, 6, 3, 3,
    ]);
  });

  it('non-square images, samples [n, C, H, W] in [0, 1], and the same seed gives the same weights', async () => {
    const cfg = resolveConfig({
      arch: 'multiscale',
      imageChannels: 3,
      imageHeight: 4,
      imageWidth: 8,
      scales: 1,
      hidden: 4,
      depth: 1,
      batchSize: 8,
    });
    expect(cfg).toMatchObject({ dim: 96, imageSize: 0, imageHeight: 4, imageWidth: 8 });
    const a = Flow.create(rt, cfg, { seed: 3 });
    const b = Flow.create(rt, cfg, { seed: 3 });
    expect(a.net.stateDict()).toEqual(b.net.stateDict());
    const px = new Tensor(
      'uint8',
      [16, 3, 4, 8],
      Uint8Array.from(new Rng(1).integers(1536, 0, 256)),
    );
    const r = await a.fit(px, { steps: 2, seed: 0 });
    expect(Number.isFinite(r.lastLoss)).toBe(true);
    const s = await a.sample(3, 0);
    if (s.kind !== 'images') throw new Error('expected images');
    expect(s.images.shape).toEqual([3, 3, 4, 8]);
    for (const v of s.images.data as Float32Array) expect(v >= 0 && v <= 1).toBe(true);
    // The exported log-density is the model's.
    expect(a.onnx('log_density').length).toBeGreaterThan(1000);
  });
});

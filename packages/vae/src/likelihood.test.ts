import { Graph, Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { elboTerms, reconNll } from './likelihood.js';
import { VaeNetwork } from './network.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
});

const logits = [
  [2, -1, 0.5],
  [-3, 0, 1],
];
const x = [
  [1, 0, 0.25],
  [0, 0.5, 1],
];
const sig = (v: number) => 1 / (1 + Math.exp(-v));

async function nll(cfg: ReturnType<typeof resolveConfig>, logSigma?: number): Promise<number[]> {
  const g = new Graph('nll');
  const l = g.input('l', 'float32', [2, 3]);
  const t = g.input('x', 'float32', [2, 3]);
  const ls = logSigma === undefined ? undefined : g.input('s', 'float32', [1]);
  const exe = await rt.compile(g, { out: reconNll(l, t, cfg, ls) });
  const feeds: Record<string, Tensor> = { l: Tensor.from(logits), x: Tensor.from(x) };
  if (ls) feeds.s = Tensor.from([logSigma as number]);
  return (await exe.runHost(feeds)).out.toArray();
}

describe('reconNll', () => {
  it('Bernoulli: BCE from logits summed over pixels', async () => {
    const want = logits.map((row, i) =>
      row.reduce(
        (s, v, j) => s - (x[i][j] * Math.log(sig(v)) + (1 - x[i][j]) * Math.log(1 - sig(v))),
        0,
      ),
    );
    const got = await nll(resolveConfig({ imageSize: 2 }));
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i], 5);
  });

  it('Gaussian with fixed sigma: squared error / 2 sigma^2 + log sigma + log(2 pi) / 2', async () => {
    const s = 0.3;
    const want = logits.map((row, i) =>
      row.reduce(
        (a, v, j) =>
          a + (x[i][j] - sig(v)) ** 2 / (2 * s * s) + Math.log(s) + 0.5 * Math.log(2 * Math.PI),
        0,
      ),
    );
    const got = await nll(resolveConfig({ likelihood: 'gaussian', gaussianSigma: s }));
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i], 4);
  });

  it('Gaussian with learned sigma reads log sigma', async () => {
    const ls = -0.7;
    const s = Math.exp(ls);
    const want = logits.map((row, i) =>
      row.reduce(
        (a, v, j) => a + (x[i][j] - sig(v)) ** 2 / (2 * s * s) + ls + 0.5 * Math.log(2 * Math.PI),
        0,
      ),
    );
    const got = await nll(resolveConfig({ likelihood: 'gaussian', gaussianSigma: 'learned' }), ls);
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i], 4);
  });
});

describe('elboTerms', () => {
  it('matches a hand computation on a 1-pixel, 1-latent MLP', async () => {
    const cfg = resolveConfig({ imageSize: 1, latent: 1, hidden: 1 });
    // imageSize 1 -> D = 1: one pixel; scalar weights keep every value easy to follow by hand.
    const net = new VaeNetwork(cfg, new Rng(0));
    net.loadStateDict({
      'encoder.fc1.weight': Tensor.from([[2]]),
      'encoder.fc1.bias': Tensor.from([0.5]),
      'encoder.fc_mu.weight': Tensor.from([[1]]),
      'encoder.fc_mu.bias': Tensor.from([-1]),
      'encoder.fc_logvar.weight': Tensor.from([[-1]]),
      'encoder.fc_logvar.bias': Tensor.from([0]),
      'decoder.fc1.weight': Tensor.from([[1]]),
      'decoder.fc1.bias': Tensor.from([1]),
      'decoder.fc2.weight': Tensor.from([[3]]),
      'decoder.fc2.bias': Tensor.from([-2]),
    });
    const g = new Graph('elbo');
    const xv = g.input('x', 'float32', [1, 1]);
    const ev = g.input('eps', 'float32', [1, 1]);
    net.setPaths();
    const { withTrace } = await import('@genmodels/runtime/internal');
    const ctx = {
      graph: g,
      training: false,
      bindings: new Map(),
      updates: new Map(),
      noise: new Map(),
    };
    for (const [k, p] of net.namedTensors()) ctx.bindings.set(p, g.constant(p.data, k));
    const t = withTrace(ctx, () => elboTerms(net, xv, ev));
    const exe = await rt.compile(g, { recon: t.recon, kl: t.kl, logw: t.logw });
    const out = await exe.runHost({ x: Tensor.from([[0.8]]), eps: Tensor.from([[0.5]]) });
    const h = 2 * 0.8 + 0.5;
    const mu = h - 1;
    const logvar = -h;
    const z = mu + 0.5 * Math.exp(0.5 * logvar);
    const l = 3 * Math.max(0, z + 1) - 2;
    const recon = -(0.8 * Math.log(sig(l)) + 0.2 * Math.log(1 - sig(l)));
    const kl = -0.5 * (1 + logvar - mu * mu - Math.exp(logvar));
    const logp = -0.5 * z * z;
    const logq = -0.5 * 0.25 - 0.5 * logvar;
    expect(out.recon.item()).toBeCloseTo(recon, 5);
    expect(out.kl.item()).toBeCloseTo(kl, 5);
    expect(out.logw.item()).toBeCloseTo(-recon + logp - logq, 5);
  });
});

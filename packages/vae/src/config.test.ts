import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Runtime } from '@genmodels/runtime';
import { withoutStoredConfig } from '@genmodels/runtime/testing';
import { describe, expect, it } from 'vitest';
import { resolveConfig, VAE, VAE_PRESETS, VaeError, vaeParameterCount } from './index.js';
import { VaeNetwork } from './network.js';

const rt = await Runtime.create({ device: 'cpu' });

/** Parameter values a built network really holds. */
function heldParameters(net: VaeNetwork): number {
  return Object.values(net.stateDict()).reduce((n, t) => n + t.size, 0);
}

describe('VAE config schema', () => {
  it('counts the parameters of every preset and of varied configs exactly', () => {
    const configs = [
      ...Object.keys(VAE_PRESETS).map((p) => resolveConfig(p)),
      resolveConfig({
        imageSize: 8,
        latent: 3,
        hidden: 5,
        likelihood: 'gaussian',
        gaussianSigma: 'learned',
      }),
      resolveConfig({ arch: 'conv', imageSize: 12, latent: 2, channels: [3, 5] }),
      resolveConfig({
        arch: 'conv',
        imageSize: 8,
        likelihood: 'gaussian',
        gaussianSigma: 'learned',
      }),
      // RGB, non-square, and both; any channel count.
      resolveConfig({ imageChannels: 3, imageSize: 8, latent: 3, hidden: 5 }),
      resolveConfig({ imageHeight: 6, imageWidth: 10, latent: 3, hidden: 5 }),
      resolveConfig({ imageChannels: 3, imageHeight: 8, imageWidth: 12, hidden: 7 }),
      resolveConfig({ arch: 'conv', imageChannels: 3, imageSize: 8, channels: [3, 5] }),
      resolveConfig({ arch: 'conv', imageHeight: 8, imageWidth: 12, channels: [2, 3] }),
      resolveConfig({
        arch: 'conv',
        imageChannels: 4,
        imageHeight: 16,
        imageWidth: 4,
        latent: 2,
        channels: [3, 5],
        likelihood: 'gaussian',
        gaussianSigma: 'learned',
      }),
    ];
    for (const cfg of configs)
      expect(vaeParameterCount(cfg)).toBe(heldParameters(new VaeNetwork(cfg, new Rng(0))));
  });

  it('names each wrong field, its value and what it must be', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ latent: 1e6 }, 'VAE config: latent (1000000) must be at most 65536'],
      [{ imageSize: 1e5 }, 'imageSize (100000) must be at most 4096'],
      [{ latent: 2.5 }, 'latent (2.5) must be an integer'],
      [{ hidden: null }, 'hidden (null) must be a number'],
      [{ arch: 'rnn' }, 'arch ("rnn") must be one of "mlp", "conv"'],
      [{ channels: null }, 'channels (null) must be an array'],
      [{ channels: [8] }, 'channels'],
      [{ beta: -1 }, 'beta (-1) must be at least 0'],
      [{ lr: 0 }, 'lr (0) must be > 0'],
      [{ gaussianSigma: 'big' }, 'gaussianSigma ("big")'],
      [{ latnet: 4 }, 'has unknown field(s) latnet'],
      [{ hidden: 65536, imageSize: 4096 }, 'parameters'],
      [
        { dequantize: true },
        "dequantize needs the Gaussian likelihood (a density on [0, 1]), got likelihood 'bernoulli'",
      ],
      [
        { dataset: 'cifar10' },
        "dataset 'cifar10' holds 3x32x32 images, but the config's image shape is 1x28x28",
      ],
      [{ dataset: 'svhn' }, 'dataset ("svhn") must be one of "cifar10"'],
    ];
    for (const [partial, message] of cases) {
      expect(() => resolveConfig(partial as never), JSON.stringify(partial)).toThrow(VaeError);
      expect(() => resolveConfig(partial as never)).toThrow(message);
    }
  });

  it('refuses a stored config that describes more parameters than the file holds, before building', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vae-cfg-'));
    const vae = VAE.create(rt, { imageSize: 4, latent: 2, hidden: 8 }, { seed: 0 });
    await vae.save(dir);
    // A config in range but far larger than the weights: without the check, building it
    // would allocate 4000 x 4000 x 3 x 4 bytes before the weights are compared.
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    config.config.hidden = 4000;
    config.config.latent = 4000;
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    // The checkpoint's own metadata holds the config too: load from the files with a plain
    // state dict's path (no metadata config) is covered by io.test; here both say the same.
    const files = {
      'model.safetensors': await readFile(join(dir, 'model.safetensors')),
      'config.json': JSON.stringify(config),
    };
    const before = process.memoryUsage().rss;
    await expect(VAE.load(rt, files)).resolves.toBeDefined(); // the metadata config wins
    const meta = withoutStoredConfig(files['model.safetensors']);
    await expect(VAE.load(rt, { ...files, 'model.safetensors': meta })).rejects.toThrow(
      /describes a VAE of \d+ parameters but model.safetensors holds \d+ values: config and weights do not match/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('cifar-conv: 3x32x32, conv 64-128, latent 128, learned-sigma Gaussian on dequantized CIFAR-10', () => {
    const cfg = resolveConfig('cifar-conv');
    expect(cfg).toMatchObject({
      arch: 'conv',
      imageSize: 32,
      imageChannels: 3,
      latent: 128,
      channels: [64, 128],
      likelihood: 'gaussian',
      gaussianSigma: 'learned',
      dequantize: true,
      dataset: 'cifar10',
    });
    // conv 3136 + 131,200; 2 x Linear 8192->128 2,097,408; Linear 128->8192 1,056,768; convT 131,136 + 3,075; sigma 1
    expect(vaeParameterCount(cfg)).toBe(3_422_724);
    // The MNIST presets' configs are written as before the new fields.
    expect(Object.keys(resolveConfig('mnist-conv'))).not.toContain('dequantize');
  });
});

/**
 * The built demo (dist/) in headless Chromium: every family page trains a few steps on
 * WASM in its worker and shows a sample (checked on canvas pixels or on text), one family
 * trains on WebGPU (Chromium's SwiftShader adapter), and checkpoints round-trip: one
 * written on Node.js by `GAN.save` (what the CLI writes) and one the page itself saved.
 * Screenshots go to test-artifacts/ (gitignored).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toyData } from '@genmodels/datasets';
import { GAN } from '@genmodels/gan';
import { Runtime } from '@genmodels/runtime';
import { chromiumAvailable, hasWebGpuAdapter, PAGE_TIMEOUT_MS } from '@genmodels/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  colors,
  type DemoSession,
  idle,
  loaded,
  pixels,
  startDemo,
  status,
  train,
  watch,
} from './demo-session.js';

describe.runIf(chromiumAvailable())('the demo in Chromium', () => {
  let demo: DemoSession;

  beforeAll(async () => {
    demo = await startDemo();
  });

  afterAll(async () => {
    await demo?.close();
  });

  const open = (path: string) => demo.open(path);
  const finish: DemoSession['finish'] = (page, name, watched) => demo.finish(page, name, watched);

  it('the index links every family page', async () => {
    const { page, watched } = await open('index.html');
    const links = await page.$$eval('.cards a', (as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual([
      './vae.html',
      './gan.html',
      './transformer.html',
      './flow.html',
      './diffusion.html',
    ]);
    await finish(page, 'index', watched);
  });

  it('VAE: trains on MNIST, shows samples, a latent map and an interpolation', async () => {
    const { page, watched } = await open('vae.html');
    const s = await status(page);
    expect(s).toMatchObject({ device: 'wasm' });
    await train(page, 20);
    expect(Number((await status(page)).loss)).toBeLessThan(400);
    expect(await colors(page, '#samples')).toBeGreaterThan(20);
    expect(await colors(page, '#latent-map')).toBeGreaterThan(20);
    expect(await colors(page, '#interpolation')).toBeGreaterThan(20);
    await finish(page, 'vae-wasm', watched);
  });

  it('GAN: trains on the ring, resumes after a stop, draws its samples', async () => {
    const { page, watched } = await open('gan.html');
    await train(page, 20);
    const first = Number((await status(page)).step);
    await train(page, first + 20); // resume: the step count goes on from where it stopped
    expect(Number((await status(page)).step)).toBeGreaterThanOrEqual(first + 20);
    // Orange generated points on the canvas (not just the gray data and white background).
    const orange = await page.$eval('#samples', (c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; d && i < d.length; i += 4)
        if (d[i] > 200 && d[i + 2] < 150 && d[i] - d[i + 2] > 80) n++;
      return n;
    });
    expect(orange).toBeGreaterThan(200);
    await finish(page, 'gan-wasm', watched);
  });

  it('GPT: trains on the built-in text and streams generated text', async () => {
    const { page, watched } = await open('transformer.html');
    await train(page, 15);
    expect((await page.textContent('#sample'))?.trim().length).toBeGreaterThan(50);
    await page.fill('#tokens', '60');
    await page.click('#generate');
    await page.waitForSelector('#generated[data-done="true"]', { timeout: PAGE_TIMEOUT_MS });
    const out = await page.$eval('#generated', (e) => ({
      text: e.textContent ?? '',
      pieces: e.childNodes.length,
    }));
    expect(out.text.startsWith('In the first month')).toBe(true);
    expect(out.text.length).toBeGreaterThan('In the first month'.length + 30);
    expect(out.pieces).toBeGreaterThan(10); // arrived piece by piece, not as one block
    await finish(page, 'transformer-wasm', watched);
  });

  it('Flow: trains on two moons and draws its density', async () => {
    const { page, watched } = await open('flow.html');
    await train(page, 30);
    expect(await colors(page, '#density')).toBeGreaterThan(30);
    expect(await colors(page, '#samples')).toBeGreaterThan(3);
    await finish(page, 'flow-wasm', watched);
  });

  it('Diffusion: trains on two moons and shows the sampler step by step', async () => {
    const { page, watched } = await open('diffusion.html');
    await train(page, 30);
    expect(await colors(page, '#samples')).toBeGreaterThan(3);
    expect(await page.$$eval('#strip canvas', (cs) => cs.length)).toBe(6);
    const last = await pixels(page, '#samples');
    await page.$eval('#frame', (e) => {
      (e as HTMLInputElement).value = '0'; // scrub back to the starting noise
      e.dispatchEvent(new Event('input'));
    });
    expect(await page.textContent('#frame-label')).toContain('noise');
    expect(await pixels(page, '#samples')).not.toBe(last);
    await finish(page, 'diffusion-wasm', watched);
  });

  it('GAN: loads a checkpoint saved on Node.js, and round-trips its own', async () => {
    // What `genmodels train gan --preset ring8` writes: model.safetensors + config.json.
    const dir = mkdtempSync(join(tmpdir(), 'demo-gan-'));
    try {
      const rt = await Runtime.create({ device: 'cpu', threads: 1 });
      const gan = GAN.create(rt, 'ring8', { seed: 0 });
      await gan.fit(toyData('ring8', 25_600, 0), { steps: 100, reference: 'preset' });
      await gan.save(dir);

      const { page, watched } = await open('gan.html');
      await page.setInputFiles('#load', [join(dir, 'model.safetensors'), join(dir, 'config.json')]);
      await loaded(page, 'from model.safetensors, config.json');
      expect(await page.textContent('#info')).toContain('ring8');
      expect(await colors(page, '#samples')).toBeGreaterThan(3);
      await train(page, 5); // a loaded model trains on
      const before = await pixels(page, '#samples');

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
      const saved = join(dir, download.suggestedFilename());
      await download.saveAs(saved);
      expect(saved).toMatch(/gan-ring8-step\d+\.safetensors$/);
      await page.setInputFiles('#load', saved);
      await loaded(page, `from ${download.suggestedFilename()}`);
      expect(await pixels(page, '#samples')).toBe(before); // same weights, same z: same picture
      await finish(page, 'gan-load', watched);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GAN: trains on WebGPU (SwiftShader in headless Chromium)', async (ctx) => {
    const page = await demo.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    await page.goto(`${demo.server.url}/index.html`);
    if (!(await hasWebGpuAdapter(page))) {
      await page.close();
      ctx.skip('this Chromium exposes no WebGPU adapter');
    }
    const watched = watch(page);
    await page.goto(`${demo.server.url}/gan.html?device=webgpu`);
    await idle(page);
    expect(await status(page)).toMatchObject({ device: 'webgpu' });
    await train(page, 3);
    expect(Number.isFinite(Number((await status(page)).loss))).toBe(true);
    expect(await colors(page, '#samples')).toBeGreaterThan(3);
    await finish(page, 'gan-webgpu', watched);
  });
});

/**
 * The built demo (dist/) in headless Chromium: every family page trains a few steps on
 * WASM in its worker and shows a sample (checked on canvas pixels or on text), one family
 * trains on WebGPU (Chromium's SwiftShader adapter), and checkpoints round-trip: one
 * written on Node.js by `GAN.save` (what the CLI writes) and one the page itself saved. The
 * GPT page fine-tunes the tiny GPT-2 checkpoint with LoRA and offers its downloads.
 * Screenshots go to test-artifacts/ (gitignored).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toyData } from '@genmodels/datasets';
import { GAN } from '@genmodels/gan';
import { decodeSafetensors, Runtime } from '@genmodels/runtime';
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

  it('GPT: fine-tunes the tiny GPT-2 checkpoint with LoRA, and offers the merged model and the adapter', async () => {
    const { page, watched } = await open('transformer.html');
    await page.check('#mode-lora');
    // Files that are not a whole checkpoint are named, before any model work.
    const fixture = fileURLToPath(
      new URL('../../../packages/transformer/src/gpt/fixtures/gpt2_tiny', import.meta.url),
    );
    await page.setInputFiles('#gpt2-files', [
      join(fixture, 'config.json'),
      join(fixture, 'vocab.json'),
    ]);
    expect(await page.textContent('#checkpoint-error')).toContain(
      'missing: model.safetensors, merges.txt',
    );

    await page.fill('#lora-steps', '30');
    await page.fill('#lora-lr', '0.01');
    await page.click('#gpt2-demo');
    await loaded(page, 'from the tiny demo checkpoint');
    expect(await page.textContent('#info')).toContain('LoRA rank 8, alpha 16');
    // A text of the user's: a fresh run from the checkpoint on it (the tiny model learns a
    // repetitive line within 30 steps; the built-in verses move its loss little).
    await page.setInputFiles('#corpus', {
      name: 'fox.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('the quick brown fox jumps over the lazy dog. '.repeat(40)),
    });
    await page.waitForFunction(() =>
      document.getElementById('corpus-info')?.textContent?.includes('fox.txt'),
    );
    await idle(page);
    expect(await page.textContent('#corpus-info')).toContain(
      "tokens of the checkpoint's 280-token BPE",
    );
    const before = Number(await page.$eval('#lora-loss', (e) => (e as HTMLElement).dataset.before));
    expect(before).toBeGreaterThan(0);

    await page.click('#train'); // runs the set steps, then stops by itself
    await page.waitForFunction(
      () => {
        const s = document.getElementById('status');
        const loss = document.getElementById('lora-loss');
        return (
          (Number(s?.dataset.step) >= 30 && s?.dataset.state === 'idle' && loss?.dataset.after) ||
          s?.dataset.error !== undefined
        );
      },
      null,
      { timeout: PAGE_TIMEOUT_MS },
    );
    expect(await status(page)).toMatchObject({ step: '30', state: 'idle' });
    const after = Number(await page.$eval('#lora-loss', (e) => (e as HTMLElement).dataset.after));
    expect(after).toBeLessThan(before - 0.1);
    expect(await page.isDisabled('#train')).toBe(true); // the run is complete
    expect((await page.textContent('#sample'))?.length).toBeGreaterThan(10);

    await page.fill('#prompt', 'the quick');
    await page.fill('#tokens', '20');
    await page.click('#generate');
    await page.waitForSelector('#generated[data-done="true"]', { timeout: PAGE_TIMEOUT_MS });
    expect((await page.textContent('#generated'))?.startsWith('the quick')).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'demo-lora-'));
    try {
      const download = async (what: string, file: string) => {
        await page.click(`#download-${what}`);
        const link = `#lora-downloads[data-what="${what}"] a[download="${file}"]`;
        await page.waitForSelector(link);
        const [d] = await Promise.all([page.waitForEvent('download'), page.click(link)]);
        await d.saveAs(join(dir, file));
        return decodeSafetensors(readFileSync(join(dir, file))).tensors;
      };
      const adapter = await download('adapter', 'adapter_model.safetensors');
      expect(Object.keys(adapter).sort()).toEqual([
        'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
        'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
        'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight',
        'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight',
      ]);
      expect(await page.textContent('#lora-downloads')).toContain('adapter_config.json');
      const merged = await download('merged', 'model.safetensors');
      expect(merged['transformer.h.0.attn.c_attn.weight'].shape).toEqual([32, 96]);
      expect(Object.keys(merged).some((k) => k.includes('lora'))).toBe(false);
      const base = decodeSafetensors(readFileSync(join(fixture, 'model.safetensors'))).tensors;
      const key = 'transformer.h.0.attn.c_attn.weight';
      expect(merged[key].data).not.toEqual(base[key].data); // the adapters were folded in
      expect(await page.textContent('#lora-downloads')).toContain('merges.txt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await finish(page, 'transformer-lora', watched);
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

/**
 * The built demo (dist/) in headless Chromium: every family page trains a few steps on
 * WASM in its worker and shows a sample (checked on canvas pixels or on text), one family
 * trains on WebGPU (Chromium's SwiftShader adapter), and checkpoints round-trip: one
 * written on Node.js by `GAN.save` (what the CLI writes) and one the page itself saved.
 * Screenshots go to test-artifacts/ (gitignored).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toyData } from '@genmodels/datasets';
import { GAN } from '@genmodels/gan';
import { Runtime } from '@genmodels/runtime';
import {
  type Browser,
  chromiumAvailable,
  hasWebGpuAdapter,
  launchChromium,
  PAGE_TIMEOUT_MS,
  type Page,
  pageErrors,
  type StaticServer,
  serveStatic,
} from '@genmodels/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts', import.meta.url));

/** Status of the page: the attributes of #status that the page keeps current. */
async function status(page: Page) {
  return page.$eval('#status', (e) => ({ ...(e as HTMLElement).dataset }));
}

/** Wait for the page's worker to be idle with a model, failing fast on a reported error. */
async function idle(page: Page, timeout = PAGE_TIMEOUT_MS): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = document.getElementById('status');
      return s?.dataset.state === 'idle' || s?.dataset.error !== undefined;
    },
    null,
    { timeout },
  );
  const s = await status(page);
  if (s.error) throw new Error(`the page reported: ${s.error}`);
}

/** Wait until the model from file `name` is loaded (its name shows in #info) and the worker is idle. */
async function loaded(page: Page, name: string): Promise<void> {
  await page.waitForFunction(
    (n) =>
      document.getElementById('info')?.textContent?.includes(n) ||
      document.getElementById('status')?.dataset.error !== undefined,
    name,
    { timeout: PAGE_TIMEOUT_MS },
  );
  await idle(page);
}

/** Press Train, wait until `steps` steps are done, press Stop, wait for idle. */
async function train(page: Page, steps: number, timeout = PAGE_TIMEOUT_MS): Promise<void> {
  await page.click('#train');
  await page.waitForFunction(
    (n) => {
      const s = document.getElementById('status');
      return Number(s?.dataset.step) >= n || s?.dataset.error !== undefined;
    },
    steps,
    { timeout },
  );
  await page.click('#stop');
  await idle(page, timeout);
}

/** Distinct RGB colors of a canvas (capped): 1 for a blank one. */
function colors(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; d && i < d.length && seen.size < 256; i += 4)
      seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  });
}

/** Pixels of a canvas as a data URL, to compare two drawings. */
function pixels(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (c) => (c as HTMLCanvasElement).toDataURL());
}

/** Page errors and failed requests (any HTTP error, e.g. a 404 for a file the app should serve). */
function watch(page: Page): { errors: string[]; missing: string[] } {
  const errors = pageErrors(page);
  const missing: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`);
  });
  return { errors, missing };
}

function realErrors(w: { errors: string[]; missing: string[] }): string[] {
  // A 404's console line does not name the URL; the response listener has them all.
  return [...w.errors.filter((e) => !e.includes('Failed to load resource')), ...w.missing];
}

describe.runIf(chromiumAvailable())('the demo in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    try {
      statSync(join(DIST, 'bundle-report.json'));
    } catch {
      throw new Error(`no build in ${DIST}: run 'vite build' first (the test script does)`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await serveStatic(DIST, { isolated: true });
    browser = await launchChromium({ webgpu: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Open a page of the app; family pages: wait until their first model is ready. */
  async function open(path: string): Promise<{ page: Page; watched: ReturnType<typeof watch> }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    const watched = watch(page);
    await page.goto(`${server.url}/${path}`);
    if (path !== 'index.html') await idle(page);
    return { page, watched };
  }

  async function finish(page: Page, name: string, watched: ReturnType<typeof watch>) {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    expect(realErrors(watched)).toEqual([]);
    await page.close();
  }

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
      await gan.fit(toyData('ring8', 25_600, 0), { steps: 100 });
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
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    await page.goto(`${server.url}/index.html`);
    if (!(await hasWebGpuAdapter(page))) {
      await page.close();
      ctx.skip('this Chromium exposes no WebGPU adapter');
    }
    const watched = watch(page);
    await page.goto(`${server.url}/gan.html?device=webgpu`);
    await idle(page);
    expect(await status(page)).toMatchObject({ device: 'webgpu' });
    await train(page, 3);
    expect(Number.isFinite(Number((await status(page)).loss))).toBe(true);
    expect(await colors(page, '#samples')).toBeGreaterThan(3);
    await finish(page, 'gan-webgpu', watched);
  });
});

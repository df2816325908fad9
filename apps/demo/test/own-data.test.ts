/**
 * Your own data on the built demo in headless Chromium: a folder of RGB PNG images picked
 * on the VAE, GAN, Flow and Diffusion pages (the folder input), CSV files of 2-D points
 * dropped or picked on the Diffusion, GAN and Flow pages; each trains a few steps in the worker and draws samples,
 * and bad input gets a message that names the problem. The data is made here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '@genmodels/datasets';
import { chromiumAvailable, PAGE_TIMEOUT_MS, type Page } from '@genmodels/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colors, type DemoSession, idle, startDemo, status, train } from './demo-session.js';

/** n RGB images of side s: a colored square on a gradient, different in every image. */
function writeImages(dir: string, n: number, s: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(s * s * 3);
    const at = i % (s / 2);
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++) {
        const o = 3 * (y * s + x);
        const inside = x >= at && x < at + s / 2 && y >= at && y < at + s / 2;
        data[o] = inside ? 230 : 20 + 10 * i;
        data[o + 1] = inside ? 40 : (x * 255) / s;
        data[o + 2] = inside ? 60 : (y * 255) / s;
      }
    writeFileSync(
      join(dir, `img-${String(i).padStart(2, '0')}.png`),
      encodePng({ width: s, height: s, channels: 3, data }),
    );
  }
}

/** n points of a noisy spiral around (100, 50), as CSV text with a header. */
function spiralCsv(n: number): string {
  const lines = ['x,y'];
  for (let i = 0; i < n; i++) {
    const t = 3 * Math.PI * Math.sqrt((i + 0.5) / n);
    const wobble = 0.3 * Math.sin(97 * i);
    lines.push(
      `${(100 + 5 * (t + wobble) * Math.cos(t)).toFixed(4)},${(50 + 5 * (t - wobble) * Math.sin(t)).toFixed(4)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const csvFile = (name: string, text: string) => ({
  name,
  mimeType: 'text/csv',
  buffer: Buffer.from(text),
});

/** Wait until the page trains on data of `kind` ('builtin' too), or reports an error. */
async function dataKind(page: Page, kind: string): Promise<void> {
  await page.waitForFunction(
    (k) =>
      document.getElementById('data-info')?.dataset.kind === k ||
      document.getElementById('status')?.dataset.error !== undefined,
    kind,
    { timeout: PAGE_TIMEOUT_MS },
  );
  await idle(page);
}

/** Wait for the error the page shows, and return it. */
async function reportedError(page: Page): Promise<string> {
  await page.waitForFunction(() => document.getElementById('status')?.dataset.error, null, {
    timeout: PAGE_TIMEOUT_MS,
  });
  return (await status(page)).error ?? '';
}

/** Drop a file made of `text` on the page's drop zone, as a drag from the desktop does. */
function drop(page: Page, name: string, text: string): Promise<void> {
  return page.evaluate(
    ([n, t]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], n, { type: 'text/csv' }));
      const zone = document.getElementById('drop');
      zone?.dispatchEvent(
        new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }),
      );
    },
    [name, text] as const,
  );
}

/**
 * Pixels of a canvas painted in `rgb` over white at any opacity (p - white is parallel to
 * rgb - white): the samples' dots, not the gray data or the white background.
 */
function pixelsLike(page: Page, selector: string, rgb: readonly number[]): Promise<number> {
  return page.$eval(
    selector,
    (c, want) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      const w = want.map((v) => v - 255);
      const wn = Math.hypot(...w);
      let n = 0;
      for (let i = 0; d && i < d.length; i += 4) {
        const p = [d[i] - 255, d[i + 1] - 255, d[i + 2] - 255];
        const pn = Math.hypot(...p);
        if (pn > 30 && (p[0] * w[0] + p[1] * w[1] + p[2] * w[2]) / (pn * wn) > 0.99) n++;
      }
      return n;
    },
    rgb,
  );
}

/** Pixels of a canvas whose red and blue differ by more than `by` (gray drawings have none). */
function coloredPixels(page: Page, selector: string, by: number): Promise<number> {
  return page.$eval(
    selector,
    (c, diff) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; d && i < d.length; i += 4) if (Math.abs(d[i] - d[i + 2]) > diff) n++;
      return n;
    },
    by,
  );
}

/**
 * Pick a folder of 16 RGB 16x16 images on `file` (gan, flow, diffusion): the page reads them
 * at 16x16, holds 2 out and trains the family's image model (its config's `arch`) on 14.
 */
async function trainsOnImages(demo: DemoSession, dir: string, file: string, arch: string) {
  const folder = join(dir, `${file}-shapes`);
  writeImages(folder, 16, 16);
  const opened = await demo.open(`${file}.html`);
  const { page } = opened;
  await page.selectOption('#image-size', '16');
  await page.setInputFiles('#data-folder', folder);
  await dataKind(page, 'images');
  const info = page.locator('#data-info');
  expect(await info.getAttribute('data-shape')).toBe('16,3,16,16');
  expect(await info.textContent()).toContain('14 to train on, 2 held out · batch 14');
  const config = await page.textContent('#info');
  expect(config).toContain(`"arch": "${arch}"`);
  expect(config).toContain('"imageChannels": 3');
  return opened;
}

/** The grid of `n` samples of 16x16 in 8 columns with one-pixel gaps is shown, drawn in color. */
async function drawsImageGrid(page: Page, n: number): Promise<void> {
  expect(await page.isVisible('#images')).toBe(true);
  const size = await page.$eval('#images', (c) => {
    const canvas = c as HTMLCanvasElement;
    return [canvas.width, canvas.height];
  });
  expect(size).toEqual([8 * 17 + 1, Math.ceil(n / 8) * 17 + 1]);
  // Drawn from 3 channels: red and blue differ (a gray drawing has r = g = b everywhere).
  expect(await coloredPixels(page, '#images', 0)).toBeGreaterThan(1000);
  expect(await colors(page, '#images')).toBeGreaterThan(20);
}

describe.runIf(chromiumAvailable())('your own data in the demo (Chromium)', () => {
  let demo: DemoSession;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-own-data-'));
    demo = await startDemo();
  });

  afterAll(async () => {
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('VAE: trains on a picked folder of RGB images at their shape and draws them in color', async () => {
    const folder = join(dir, 'shapes');
    writeImages(folder, 16, 16);
    writeFileSync(join(folder, 'notes.txt'), 'not an image');
    const { page, watched } = await demo.open('vae.html');

    // A CSV on the image page: refused on the page, with what to give instead.
    await page.setInputFiles('#data-file', csvFile('points.csv', spiralCsv(10)));
    expect(await reportedError(page)).toMatch(/the VAE page trains on images/);

    await page.selectOption('#image-size', '16');
    await page.setInputFiles('#data-folder', folder);
    await dataKind(page, 'images');
    const info = page.locator('#data-info');
    expect(await info.getAttribute('data-shape')).toBe('16,3,16,16');
    const text = await info.textContent();
    expect(text).toContain("16 images of 3x16x16 (C x H x W) from 'shapes'");
    expect(text).toContain('14 to train on, 2 held out · batch 14');
    expect(text).toContain("1 file ignored (not PNG or JPEG), e.g. 'notes.txt'");
    expect(await page.textContent('#info')).toContain('"imageChannels": 3');

    await train(page, 6);
    expect(Number.isFinite(Number((await status(page)).loss))).toBe(true);
    expect(await colors(page, '#samples')).toBeGreaterThan(20);
    // In color: pixels whose channels differ (a gray drawing has r = g = b everywhere).
    expect(await coloredPixels(page, '#samples', 20)).toBeGreaterThan(100);
    expect(await colors(page, '#latent-map')).toBeGreaterThan(20);
    expect(await colors(page, '#latent-scatter')).toBeGreaterThan(1);
    expect(await colors(page, '#interpolation')).toBeGreaterThan(20);

    // Back to MNIST.
    await page.click('#builtin');
    await dataKind(page, 'builtin');
    expect(await page.textContent('#info')).not.toContain('imageChannels');
    await demo.finish(page, 'vae-own-images', watched);
  });

  it('GAN: trains a DCGAN on a picked folder of RGB images at their shape and draws its samples in color', async () => {
    const { page, watched } = await trainsOnImages(demo, dir, 'gan', 'dcgan');
    expect(await page.textContent('#info')).toContain('"imageHeight": 16');

    await train(page, 3);
    expect(Number.isFinite(Number((await status(page)).loss))).toBe(true);
    // The samples come from the EMA generator (decay 0.999), so after a few steps they are
    // still near the initial generator's and need not look like the images yet: the test
    // checks the drawing, not the training, and does not depend on how many steps ran.
    await drawsImageGrid(page, 64);
    await demo.finish(page, 'gan-own-images', watched);
  });

  it('Flow: trains a multi-scale RealNVP on a picked folder of RGB images and draws its samples in color', async () => {
    const { page, watched } = await trainsOnImages(demo, dir, 'flow', 'multiscale');
    await train(page, 2);
    expect(Number.isFinite(Number((await status(page)).loss))).toBe(true);
    // The density and the 2-D samples are for points: not shown (as rendered, not only marked).
    expect(await page.isVisible('#density')).toBe(false);
    expect(await page.isVisible('#samples')).toBe(false);
    await drawsImageGrid(page, 64);
    await demo.finish(page, 'flow-own-images', watched);
  });

  it('Diffusion: trains a U-Net on a picked folder of RGB images and draws its samples in color', async () => {
    const { page, watched } = await trainsOnImages(demo, dir, 'diffusion', 'unet');
    await train(page, 2);
    expect(Number.isFinite(Number((await status(page)).loss))).toBe(true);
    // The sampler's 2-D panels are not shown; the grid's caption names the sampler.
    expect(await page.isVisible('#samples')).toBe(false);
    expect(await page.isVisible('#strip')).toBe(false);
    await drawsImageGrid(page, 32);
    expect(await page.textContent('#images + p')).toContain('DDIM, 20 steps');
    await demo.finish(page, 'diffusion-own-images', watched);
  });

  it('Diffusion: trains on a dropped CSV of points, samples over them in their units; bad tables are named', async () => {
    const { page, watched } = await demo.open('diffusion.html');

    // A table with a cell that is not a number: the line and column are named.
    await page.setInputFiles('#data-file', csvFile('bad.csv', 'x,y\n1,2\n3,abc\n'));
    expect(await reportedError(page)).toMatch(
      /'bad\.csv' line 3, column 2 \("y"\): "abc" is not a number/,
    );
    // One image: too few to hold a tenth out.
    await page.setInputFiles('#data-file', {
      name: 'a.png',
      mimeType: 'image/png',
      buffer: Buffer.from(encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) })),
    });
    expect(await reportedError(page)).toMatch(/1 image; give at least 2/);

    await drop(page, 'spiral.csv', spiralCsv(400));
    await dataKind(page, 'points');
    const info = page.locator('#data-info');
    expect(await info.getAttribute('data-rows')).toBe('400');
    expect(await info.textContent()).toContain(
      "400 points of 2 values from 'spiral.csv' · 360 to train on, 40 held out",
    );
    expect(await page.textContent('#frame-label')).toContain('your points');

    // Too few rows for the preset's batch: named, and the model on the spiral stays.
    await page.setInputFiles('#data-file', csvFile('few.csv', spiralCsv(100)));
    expect(await reportedError(page)).toMatch(
      /few\.csv: 90 rows to train on \(100 in the file, 10 held out\) are fewer than one batch of 256 \(preset 'moons-small'\); give at least \d+ rows/,
    );
    expect(await info.getAttribute('data-rows')).toBe('400');

    // At least 20 steps: a denoiser after only 2 or 3 (all a loaded CI machine may run before
    // the stop) can throw its samples far outside the spiral's region (16 purple pixels in one
    // CI run; 7,713 after 8 steps on an idle machine).
    await train(page, 20);
    expect(await page.textContent('#frame-label')).toContain('step 40/40');
    // Samples (purple) on the canvas drawn over the spiral's region: they come back in its units.
    expect(await pixelsLike(page, '#samples', [150, 40, 160])).toBeGreaterThan(200);
    expect(await page.$$eval('#strip canvas', (cs) => cs.length)).toBe(6);
    await demo.finish(page, 'diffusion-own-points', watched);
  });

  it.each([
    ['gan', [230, 110, 20]],
    ['flow', [31, 95, 191]],
  ] as const)(
    '%s: trains on a picked CSV of points and draws samples over them',
    async (family, rgb) => {
      const { page, watched } = await demo.open(`${family}.html`);
      await page.setInputFiles('#data-file', csvFile('spiral.csv', spiralCsv(300)));
      await dataKind(page, 'points');
      expect(await page.locator('#data-info').getAttribute('data-shape')).toBe('300,2');
      await train(page, 3);
      expect(Number.isFinite(Number((await status(page)).loss))).toBe(true);
      expect(await pixelsLike(page, '#samples', rgb)).toBeGreaterThan(100);
      if (family === 'flow') expect(await colors(page, '#density')).toBeGreaterThan(30);
      await demo.finish(page, `${family}-own-points`, watched);
    },
  );
});

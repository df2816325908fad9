/**
 * What the browser tests share: the built demo (dist/) served with the cross-origin
 * isolation headers, one headless Chromium, and helpers that drive a family page through
 * the `#status` data attributes the page keeps current (state, step, loss, error).
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Browser,
  launchChromium,
  PAGE_TIMEOUT_MS,
  type Page,
  pageErrors,
  type StaticServer,
  serveStatic,
} from '@genmodels/testkit';
import { expect } from 'vitest';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../test-artifacts', import.meta.url));

/** Status of the page: the attributes of #status that the page keeps current. */
export async function status(page: Page) {
  return page.$eval('#status', (e) => ({ ...(e as HTMLElement).dataset }));
}

/** Wait for the page's worker to be idle with a model, failing fast on a reported error. */
export async function idle(page: Page, timeout = PAGE_TIMEOUT_MS): Promise<void> {
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
export async function loaded(page: Page, name: string): Promise<void> {
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
export async function train(page: Page, steps: number, timeout = PAGE_TIMEOUT_MS): Promise<void> {
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
export function colors(page: Page, selector: string): Promise<number> {
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
export function pixels(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (c) => (c as HTMLCanvasElement).toDataURL());
}

/** Page errors and failed requests (any HTTP error, e.g. a 404 for a file the app should serve). */
export function watch(page: Page): { errors: string[]; missing: string[] } {
  const errors = pageErrors(page);
  const missing: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`);
  });
  return { errors, missing };
}

export function realErrors(w: { errors: string[]; missing: string[] }): string[] {
  // A 404's console line does not name the URL; the response listener has them all.
  return [...w.errors.filter((e) => !e.includes('Failed to load resource')), ...w.missing];
}

export type Watched = ReturnType<typeof watch>;

/** DEMO_DEBUG=1: the page's console and its status every 5 s on stdout (to see where a test waits). */
function debugLog(page: Page, path: string): void {
  page.on('console', (m) => console.log(`[${path}] console: ${m.text()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) console.log(`[${path}] ${r.status()} ${r.url()}`);
  });
  const timer = setInterval(() => {
    status(page).then(
      (s) => console.log(`[${path}] status: ${JSON.stringify(s)}`),
      () => clearInterval(timer),
    );
  }, 5000);
  timer.unref();
}

/** The served build and the browser, for one test file. */
export interface DemoSession {
  server: StaticServer;
  browser: Browser;
  /** Open a page of the app; family pages: wait until their first model is ready. */
  open(path: string): Promise<{ page: Page; watched: Watched }>;
  /** Screenshot to test-artifacts/, no page errors, close. */
  finish(page: Page, name: string, watched: Watched): Promise<void>;
  close(): Promise<void>;
}

export async function startDemo(): Promise<DemoSession> {
  try {
    statSync(join(DIST, 'bundle-report.json'));
  } catch {
    throw new Error(`no build in ${DIST}: run 'vite build' first (the test script does)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await serveStatic(DIST, { isolated: true });
  const browser = await launchChromium({ webgpu: true });
  return {
    server,
    browser,
    async open(path) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      const watched = watch(page);
      if (process.env.DEMO_DEBUG) debugLog(page, path);
      await page.goto(`${server.url}/${path}`);
      if (path !== 'index.html') await idle(page);
      return { page, watched };
    },
    async finish(page, name, watched) {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      expect(realErrors(watched)).toEqual([]);
      await page.close();
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

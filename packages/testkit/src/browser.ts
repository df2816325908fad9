/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by
 * playwright-core (which never downloads a browser). WebGPU runs on Chromium's own
 * SwiftShader adapter, so it works on machines without a GPU.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** The Chromium these tests drive: `$CHROMIUM_PATH`, else Debian's package. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags that give `navigator.gpu.requestAdapter()` an adapter in headless Chromium on a
 * CPU-only machine: its built-in SwiftShader (a "fallback" adapter, vendor 'google',
 * architecture 'swiftshader'). No Vulkan driver or VK_ICD_FILENAMES is needed.
 */
export const WEBGPU_FLAGS: readonly string[] = ['--enable-unsafe-webgpu'];

const warned = new Set<string>();

/**
 * Whether Chromium is installed at {@link CHROMIUM_PATH}. When it is not, says why on
 * stderr (once) so the skip is visible; in CI (`$CI` set) a missing Chromium throws instead.
 *
 * @example describe.runIf(chromiumAvailable())('in Chromium', () => { ... });
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const why = `browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI) throw new Error(why);
  if (!warned.has(why)) {
    warned.add(why);
    process.stderr.write(`${why}\n`);
  }
  return false;
}

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /** Add {@link WEBGPU_FLAGS} (default true); false gives a browser with no WebGPU adapter. */
  webgpu?: boolean;
  /** More command-line flags. */
  args?: readonly string[];
}

/**
 * How long a page may take to reach a state a test waits for. Only a hang guard: tests run
 * beside other packages' tests on 2 cores, where a WASM training step may take many times
 * its quiet-machine time, so waits never race the clock. Give it to `page.setDefaultTimeout`.
 */
export const PAGE_TIMEOUT_MS = 10 * 60_000;

/**
 * Launch headless Chromium; close it with `browser.close()`.
 *
 * @example
 * const browser = await launchChromium({ webgpu: true });
 * const page = await browser.newPage();
 * await page.goto(server.url);
 */
export async function launchChromium({ webgpu = true, args = [] }: LaunchOptions = {}) {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...(webgpu ? WEBGPU_FLAGS : []), ...args],
  });
}

/**
 * Whether a page of `browser` gets a WebGPU adapter (for skipping WebGPU cases with a
 * reason). The page must be a secure context (http://127.0.0.1 or localhost is).
 */
export async function hasWebGpuAdapter(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return gpu ? (await gpu.requestAdapter()) !== null : false;
  });
}

/**
 * Collect a page's console errors and uncaught exceptions, to attach to a failing
 * assertion (a browser's own error output is otherwise lost).
 *
 * @example const errors = pageErrors(page); ...; expect(errors).toEqual([]);
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  return errors;
}

export type { Browser, Page };

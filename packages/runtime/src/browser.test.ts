/**
 * The runtime in a real browser: src/testing/browser-entry.ts bundled for Chromium
 * (onnxruntime-web, WASM and WebGPU on SwiftShader) and served with its .wasm files by
 * a local, cross-origin isolated server. Skipped, with the reason on stderr, when no
 * Chromium is installed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Browser,
  bundleForBrowser,
  chromiumAvailable,
  launchChromium,
  PAGE_TIMEOUT_MS,
  type Page,
  pageErrors,
  type StaticServer,
  serveStatic,
} from '@genmodels/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from './exec/runtime.js';
import { writeModelDir } from './io/model-dir.js';
import { Linear } from './nn/linear.js';
import { Rng } from './rng.js';
import type { BrowserTestApi } from './testing/browser-entry.js';
import { type ParityResult, threeAdamSteps } from './testing/parity.js';

type Api = BrowserTestApi;

/** Call `genmodelsTest[name](arg)` in the page (see testing/browser-entry.ts). */
async function call<K extends keyof Api>(
  page: Page,
  name: K,
  arg?: Parameters<Api[K]>[0],
): Promise<Awaited<ReturnType<Api[K]>>> {
  const result: unknown = await page.evaluate(
    ([n, a]) => {
      const api = (
        globalThis as unknown as { genmodelsTest: Record<string, (x: unknown) => unknown> }
      ).genmodelsTest;
      return api[n](a);
    },
    [name, arg] as [string, unknown],
  );
  return result as Awaited<ReturnType<Api[K]>>;
}

async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const errors = pageErrors(page);
  await page.goto(`${url}/index.html`);
  await page.waitForFunction(() => 'genmodelsTest' in globalThis);
  return { page, errors };
}

/** Largest absolute difference between two runs' losses and parameters. */
function maxAbsDiff(a: ParityResult, b: ParityResult): number {
  const pairs: [number[], number[]][] = [[a.losses, b.losses]];
  for (const k of Object.keys(b.params)) pairs.push([a.params[k] ?? [], b.params[k]]);
  let worst = 0;
  for (const [x, y] of pairs) {
    if (x.length !== y.length) return Number.POSITIVE_INFINITY;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  return Number.isNaN(worst) ? Number.POSITIVE_INFINITY : worst;
}

describe.runIf(chromiumAvailable())('in Chromium (onnxruntime-web)', () => {
  let outdir: string;
  let isolated: StaticServer;
  let plain: StaticServer;
  let withGpu: Browser;
  let noGpu: Browser;

  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'genmodels-browser-'));
    const entry = fileURLToPath(new URL('./testing/browser-entry.ts', import.meta.url));
    await bundleForBrowser({ entry, outdir });
    [isolated, plain] = await Promise.all([
      serveStatic(outdir, { isolated: true }),
      serveStatic(outdir, { isolated: false }),
    ]);
    [withGpu, noGpu] = await Promise.all([
      launchChromium({ webgpu: true }),
      launchChromium({ webgpu: false }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([withGpu?.close(), noGpu?.close(), isolated?.close(), plain?.close()]);
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  it('trains to the same losses and parameters (1e-4) on WASM with threads, WebGPU and Node CPU', async () => {
    const { page, errors } = await openPage(withGpu, isolated.url);
    const cpu = await threeAdamSteps(await Runtime.create({ device: 'cpu', threads: 1 }));
    const wasm = await call(page, 'threeAdamSteps', { device: 'wasm' });
    // strictDevice: every node on the WebGPU provider, none on ORT's CPU one.
    const webgpu = await call(page, 'threeAdamSteps', { device: 'webgpu', strictDevice: true });
    expect(cpu.losses[2]).toBeLessThan(cpu.losses[0]);
    expect(maxAbsDiff(wasm, cpu), 'wasm vs cpu').toBeLessThan(1e-4);
    expect(maxAbsDiff(webgpu, cpu), 'webgpu vs cpu').toBeLessThan(1e-4);
    // Between steps the training state stays on the GPU (gpu-buffer outputs fed back).
    expect(webgpu.stateLocations).toEqual(['gpu-buffer']);
    expect(wasm.stateLocations).toEqual(['cpu']);
    // ORT 1.30's WebGPU has no LogSoftmax kernel: strictDevice refuses the CPU fallback.
    expect(await call(page, 'strictFallbackFailure')).toMatch(
      /^fallback: ONNX Runtime could not create a 'webgpu' session: .*fallback to CPU EP has been explicitly disabled/,
    );

    // Cross-origin isolated: ORT runs WASM on threads, which load the bundle as workers.
    const env = await call(page, 'env');
    expect(env.crossOriginIsolated).toBe(true);
    expect(env.ortThreads).toBe(Math.min(4, env.hardwareConcurrency));
    if (env.hardwareConcurrency > 1) expect(page.workers().length).toBeGreaterThan(0);
    // ORT also logs the strictDevice refusal on the console.
    expect(errors.filter((e) => !e.includes('explicitly disabled by the user'))).toEqual([]);
  });

  it('loads a model directory written on Node.js from its URL', async () => {
    const net = new Linear(3, 2, { rng: new Rng(4) });
    await writeModelDir(
      join(outdir, 'models', 'lin'),
      net,
      { family: 'test', config: { k: 1 } } as {
        family: string;
      },
      { fail: (m) => new Error(m) },
    );
    const { page } = await openPage(noGpu, plain.url);
    const got = await call(page, 'readModel', 'models/lin');
    if ('error' in got) throw new Error(got.error);
    expect(got.stored).toEqual({ family: 'test', config: { k: 1 } });
    for (const [k, t] of Object.entries(net.stateDict()))
      expect(got.tensors[k]).toEqual(Array.from(t.data as Float32Array));
    const missing = await call(page, 'readModel', 'models/none');
    expect(missing).toEqual({
      error:
        "no test checkpoint at 'models/none/model.safetensors' (train one with 'genmodels train test')",
    });
  });

  it("rejects 'cpu' naming the browser devices, and WebGPU without an adapter suggests 'wasm'", async () => {
    const { page, errors } = await openPage(noGpu, plain.url);
    const cpu = await call(page, 'createFailure', { device: 'cpu' });
    expect(cpu).toMatchObject({ deviceError: true, name: 'DeviceError' });
    expect(cpu?.message).toContain("unknown device 'cpu'; in a browser use one of wasm, webgpu");
    const gpu = await call(page, 'createFailure', { device: 'webgpu' });
    expect(gpu).toMatchObject({ deviceError: true, name: 'DeviceError' });
    expect(gpu?.message).toMatch(/no WebGPU adapter.*use device 'wasm'/);

    // Not isolated: one WASM thread, same results. strictDevice is moot on 'wasm' (it is
    // ORT's CPU provider) and must not reject every node.
    const wasm = await call(page, 'threeAdamSteps', { device: 'wasm', strictDevice: true });
    const env = await call(page, 'env');
    expect(env).toMatchObject({ crossOriginIsolated: false, ortThreads: 1, runtimeThreads: 1 });
    expect(page.workers()).toEqual([]);
    const cpu1 = await threeAdamSteps(await Runtime.create({ device: 'cpu', threads: 1 }));
    expect(maxAbsDiff(wasm, cpu1)).toBeLessThan(1e-4);
    expect(errors).toEqual([]);
  });
});

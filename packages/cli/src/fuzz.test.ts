/**
 * The readers' fuzz suite (test/fuzz.ts) in its own process, seeded: every malformed input
 * gives a valid result or a named error, never an unhandled exception, and the process's
 * peak memory stays under 1 GiB (the gzip bomb and crafted configs included).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../test/fuzz.ts', import.meta.url));

/** The peak resident memory the suite may reach (Node.js and ONNX Runtime included). */
const PEAK_MIB = 1024;

interface ClassReport {
  inputs: number;
  valid: number;
  named: number;
  unhandled: number;
  examples: string[];
  baseline?: boolean;
}

async function fuzz(
  seed: number,
): Promise<{ peakMiB: number; classes: Record<string, ClassReport> }> {
  const child = spawn(process.execPath, [
    '--import',
    'tsx',
    '--conditions=source',
    script,
    String(seed),
  ]);
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const code = await new Promise<number | null>((res) => child.once('close', res));
  const last = out.trim().split('\n').at(-1) ?? '';
  expect(code, out.slice(-4000)).toBe(0);
  return JSON.parse(last);
}

describe('fuzz suite of the readers', () => {
  it('seed 1: a named error or a valid result for every input, peak memory under 1 GiB', async () => {
    const { peakMiB, classes } = await fuzz(1);
    const least: Record<string, number> = {
      safetensors: 2500,
      idx: 3000,
      'idx-gzip': 1000,
      'config-vae': 100,
      'config-gan': 100,
      'config-flow': 100,
      'config-diffusion': 100,
      'config-unet': 100,
      'config-gpt': 100,
      'config-seq2seq': 100,
      'special-files': 9,
      npy: 900,
      npz: 900,
      csv: 800,
      images: 800,
    };
    for (const [cls, n] of Object.entries(least)) {
      expect(classes[cls], cls).toBeDefined();
      expect(classes[cls].inputs, cls).toBeGreaterThanOrEqual(n);
    }
    for (const [cls, r] of Object.entries(classes)) {
      expect(r.unhandled, `${cls}: ${r.examples.join(' | ')}`).toBe(0);
      expect(r.valid + r.named, cls).toBe(r.inputs);
      if (r.baseline !== undefined)
        expect(r.baseline, `${cls}: the unchanged input loads`).toBe(true);
    }
    // Every crafted config of the issue (couplings 1e308, latent 1e6, nLayer 1e5,
    // timesteps 1e9, channels null, ...) is refused; the unchanged one loads.
    for (const cls of Object.keys(classes).filter((c) => c.endsWith('-crafted')))
      expect(classes[cls].named, cls).toBe(classes[cls].inputs - 1);
    expect(peakMiB).toBeLessThan(PEAK_MIB);
    // The record, in the test log.
    const rows = Object.entries(classes).map(
      ([c, r]) => `${c}: ${r.inputs} inputs, ${r.valid} valid, ${r.named} named errors`,
    );
    console.log(`fuzz seed 1, peak ${peakMiB} MiB\n${rows.join('\n')}`);
  });
});

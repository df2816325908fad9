/**
 * `--device webgpu` where no adapter can be found: one clean error line; what the GPU
 * drivers print while probing (Dawn and Vulkan warnings) only with --verbose. No Vulkan
 * driver is found whatever the machine has, since VK_ICD_FILENAMES names a missing file.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./main-cli.ts', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'genmodels-device-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', cli, ...args], {
    env: { ...process.env, VK_ICD_FILENAMES: join(tmp, 'no-such-icd.json') },
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.resume();
  const code = await new Promise<number | null>((res) => child.once('close', res));
  return { code, stderr };
}

describe('--device webgpu without an adapter', () => {
  const argv = ['train', 'gan', '--preset', 'ring8', '--steps', '1', '--device', 'webgpu'];

  it('is one error line; the drivers are quiet', async () => {
    const r = await run([...argv, '--out', join(tmp, 'a')]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^genmodels: error: device 'webgpu': no WebGPU adapter could be created \(.*\)\. On Linux without a GPU: .* \(--verbose shows what the drivers printed\)$/,
    );
  });

  it('--verbose shows what the drivers printed, then the same error', async () => {
    const r = await run([...argv, '--out', join(tmp, 'b'), '--verbose']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length, r.stderr).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/vulkan|Vulkan|VK_/);
    expect(lines.at(-1)).toMatch(/^genmodels: error: device 'webgpu': no WebGPU adapter/);
  });
});

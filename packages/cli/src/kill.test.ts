/**
 * The kill test of run directories (scripts/kill-test.mjs) as part of `pnpm test`: 20
 * SIGKILLs of a training run that overwrites a run of another family, each leaving the old
 * or the new run loadable; then a failed save and a read-only config.json.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../scripts/kill-test.mjs', import.meta.url));

describe('run directories under SIGKILL', () => {
  it('20 seeded kills leave the old or the new run; a failed save leaves the old one', async () => {
    // Asynchronously, so the test worker stays responsive for the minutes this takes.
    const child = spawn(process.execPath, [script, '--kills', '20', '--seed', '1']);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const r = await new Promise<{ status: number | null }>((res) =>
      child.once('close', (status) => res({ status })),
    );
    const pass =
      /kill-test: PASS \(\d+ kills left the old run, \d+ the new one; (\d+) killed the process, (\d+) of them while it wrote its files\)/.exec(
        out,
      );
    expect(pass, out).not.toBeNull();
    // Some kills must land in the risky part: while the run's files are written and switched.
    expect(Number(pass?.[2]), out).toBeGreaterThan(0);
    expect(r.status, out).toBe(0);
    expect(out.match(/^kill +\d+ at/gm)).toHaveLength(20);
    // The record of each kill, in the test log.
    console.log(out);
  });
});

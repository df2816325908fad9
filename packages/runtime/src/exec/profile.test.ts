import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { add, mul } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { Tensor } from '../tensor.js';
import { formatProfile, summarizeProfile } from './profile.js';
import { Runtime } from './runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'genmodels-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ORT profiles', () => {
  it('a profiled runtime writes per-node times that summarize per op type', async () => {
    const rt = await Runtime.create({ device: 'cpu', threads: 1, profile: join(dir, 'p') });
    const g = new Graph('profiled');
    const x = g.input('x', 'float32', [64, 64]);
    const y = add(mul(matmul(x, x), 2), x);
    const exe = await rt.compile(g, { y });
    const feed = { x: new Tensor('float32', [64, 64], new Float32Array(4096).fill(0.5)) };
    for (let i = 0; i < 5; i++) await exe.runHost(feed);
    rt.endProfiling();
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const s = summarizeProfile(JSON.parse(readFileSync(join(dir, files[0]), 'utf8')), {
      skipRuns: 2,
    });
    expect(s.runs).toBe(3);
    expect(s.nodes).toBeGreaterThanOrEqual(2);
    const types = s.byOpType.map((o) => o.opType);
    expect(types.some((t) => t === 'MatMul' || t === 'FusedMatMul' || t === 'Gemm')).toBe(true);
    expect(s.byOpType.reduce((a, o) => a + o.share, 0)).toBeCloseTo(1, 6);
    expect(s.usPerRun).toBeGreaterThanOrEqual(s.nodeUsPerRun * 0.5);
    expect(formatProfile(s)).toContain('ms per run in ORT');
  });

  it('rejects what is not a profile and an empty profile prefix', async () => {
    expect(() => summarizeProfile({} as never)).toThrow('expected the JSON array');
    await expect(Runtime.create({ profile: '' })).rejects.toThrow('profile must be a non-empty');
  });
});

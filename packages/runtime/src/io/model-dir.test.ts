import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, GenmodelsError } from '../errors.js';
import { Linear } from '../nn/linear.js';
import { Rng } from '../rng.js';
import { readModelDir, writeModelDir } from './model-dir.js';
import { saveSafetensors } from './safetensors-file.js';

class ToyError extends GenmodelsError {}
const fail = (m: string) => new ToyError(m);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-dir-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('model directories', () => {
  it('round-trips the state dict, extra tensors and the stored config; no temp files left', async () => {
    const net = new Linear(3, 2, { rng: new Rng(0) });
    const stored = { family: 'toy', preset: 'p', config: { width: 3 } };
    const run = join(dir, 'run');
    const ema = { 'ema.weight': net.stateDict().weight };
    await writeModelDir(run, net, stored, { fail, extra: ema });
    expect((await readdir(run)).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(JSON.parse(await readFile(join(run, 'config.json'), 'utf8'))).toEqual(stored);
    const back = await readModelDir<typeof stored>(run, { family: 'toy', label: 'Toy', fail });
    expect(back.stored).toEqual(stored);
    expect(Object.keys(back.stateDict).sort()).toEqual(['bias', 'ema.weight', 'weight']);
    await expect(readModelDir(run, { family: 'other', label: 'Other', fail })).rejects.toThrow(
      CheckpointError,
    );
  });

  it('takes the config from config.json for a plain state dict, and names what is missing', async () => {
    await expect(
      readModelDir(join(dir, 'none'), { family: 'toy', label: 'Toy', fail }),
    ).rejects.toThrow(
      `no Toy checkpoint at '${join(dir, 'none', 'model.safetensors')}' (train one with 'genmodels train toy')`,
    );
    const plain = join(dir, 'plain');
    const net = new Linear(3, 2, { rng: new Rng(0) });
    await writeModelDir(plain, net, { family: 'toy' }, { fail });
    await saveSafetensors(join(plain, 'model.safetensors'), net.stateDict()); // no metadata
    await rm(join(plain, 'config.json'));
    await expect(readModelDir(plain, { family: 'toy', label: 'Toy', fail })).rejects.toThrow(
      ToyError,
    );
    await expect(
      writeModelDir(join(plain, 'model.safetensors', 'x'), net, { family: 'toy' }, { fail }),
    ).rejects.toThrow(ToyError);
  });
});

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '@genmodels/runtime';
import { writeFileAtomic } from '@genmodels/runtime/internal';
import { decode } from 'fast-png';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePngGrid } from './png-file.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genmodels-png-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writePngGrid', () => {
  it('writes the grid PNG into new directories and leaves no temp files', async () => {
    const data = Float32Array.from({ length: 4 * 3 * 3 }, (_, i) => (i % 9) / 8);
    const x = new Tensor('float32', [4, 1, 3, 3], data);
    const path = join(dir, 'out', 'grid.png');
    const grid = await writePngGrid(path, x, { range: '01', nrow: 2, padding: 1 });
    expect(await readdir(join(dir, 'out'))).toEqual(['grid.png']);
    const img = decode(await readFile(path));
    expect([img.width, img.height]).toEqual([9, 9]);
    expect(Array.from(img.data)).toEqual(Array.from(grid.data));
    // Overwriting keeps a single file.
    await writePngGrid(path, x, { range: '-11' });
    expect(await readdir(join(dir, 'out'))).toEqual(['grid.png']);
  });

  it('removes its temp file when the final rename fails', async () => {
    const target = join(dir, 'taken');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'x');
    await expect(writeFileAtomic(target, new Uint8Array([1, 2, 3]))).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
  });
});

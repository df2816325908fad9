/**
 * Writing PNG files (Node.js; in a browser take `encodePng`'s bytes instead). Writes go to a
 * temporary file in the target directory and are renamed into place (the runtime's
 * `writeFileAtomic`), so a reader never sees a half-written picture; missing parent
 * directories are created.
 */
import type { Tensor } from '@genmodels/runtime';
import { dirOf, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import { encodePng, type ImageGridOptions, imageGrid, type RasterImage } from './png.js';

/**
 * Encode an 8-bit image as PNG and write it atomically.
 *
 * @example
 * await writePng('/tmp/heat.png', heatmap.image);
 */
export async function writePng(path: string, image: RasterImage): Promise<void> {
  await makeDir(dirOf(path));
  await writeFileAtomic(path, encodePng(image));
}

/**
 * Tile `images: [N, C, H, W]` (float32, C = 1 or 3) into a grid (see `imageGrid`) and
 * write it as PNG atomically. Returns the grid image that was written.
 *
 * @example
 * await writePngGrid('out/samples.png', samples, { range: '-11', nrow: 8 });
 */
export async function writePngGrid(
  path: string,
  images: Tensor,
  options: ImageGridOptions,
): Promise<RasterImage> {
  const grid = imageGrid(images, options);
  await writePng(path, grid);
  return grid;
}

/**
 * Image grids and PNG encoding. Browser-safe: no Node imports here (file output lives in
 * `png-file.ts`); encoding goes through `fast-png`, which runs in browsers and Node alike.
 */
import { GenmodelsError, type Tensor } from '@genmodels/runtime';
import { encode } from 'fast-png';

/** A picture went wrong: bad image tensor, bad layout option, bad color or density values. */
export class PictureError extends GenmodelsError {}

/** Value range of float images: `'01'` maps [0, 1] to 0..255, `'-11'` maps [-1, 1]. */
export type ImageRange = '01' | '-11';

/**
 * An 8-bit raster image, row-major, channels interleaved: `data: [height, width, channels]`.
 *
 * @example
 * const img: RasterImage = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) };
 */
export interface RasterImage {
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB). */
  channels: 1 | 3;
  data: Uint8Array;
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Value range of the input images. */
  range: ImageRange;
  /** Images per row (as torchvision's `nrow`); default `ceil(sqrt(N))`. */
  nrow?: number;
  /** Pixels of padding around and between images; default 2. */
  padding?: number;
  /** Padding value in the images' own range; default the low end of `range` (black). */
  padValue?: number;
}

/**
 * Map a float in `range` to a byte: shift to [0, 1], clamp, scale by 255 and round.
 * NaN becomes 0 so a diverged sample shows as black instead of poisoning the picture.
 */
export function toByte(value: number, range: ImageRange): number {
  const unit = range === '-11' ? (value + 1) / 2 : value;
  if (!(unit > 0)) return 0; // also catches NaN
  if (unit >= 1) return 255;
  return Math.round(unit * 255);
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new PictureError(`imageGrid: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * Tile a batch of float images into one 8-bit grid image, row by row, `nrow` images per
 * row, with `padding` pixels of `padValue` around and between tiles (the torchvision
 * `make_grid` layout). Values are clamped to `range` and rounded.
 *
 * `images: [N, C, H, W]` float32 with C = 1 or 3. The grid is
 * `width = ncol * (W + p) + p`, `height = nrows * (H + p) + p` where `ncol = min(nrow, N)`.
 *
 * @example
 * const x = Tensor.zeros([16, 1, 28, 28]);
 * const grid = imageGrid(x, { range: '01', nrow: 4 }); // 122 x 122 x 1
 * const png = encodePng(grid);
 */
export function imageGrid(images: Tensor, options: ImageGridOptions): RasterImage {
  const { range } = options;
  if (range !== '01' && range !== '-11') {
    throw new PictureError(`imageGrid: range must be '01' or '-11', got '${String(range)}'`);
  }
  if (images.dtype !== 'float32' || images.shape.length !== 4) {
    throw new PictureError(
      `imageGrid: expected float32 images [N, C, H, W], got ${images.dtype}[${images.shape.join(',')}]`,
    );
  }
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (c !== 1 && c !== 3) {
    throw new PictureError(
      `imageGrid: expected 1 or 3 channels, got C=${c} in [${images.shape.join(',')}]`,
    );
  }
  if (n === 0 || h === 0 || w === 0) {
    throw new PictureError(`imageGrid: empty batch [${images.shape.join(',')}]`);
  }
  const nrow = options.nrow ?? Math.ceil(Math.sqrt(n));
  const pad = options.padding ?? 2;
  checkInteger('nrow', nrow, 1);
  checkInteger('padding', pad, 0);
  const ncol = Math.min(nrow, n);
  const rows = Math.ceil(n / ncol);
  const width = ncol * (w + pad) + pad;
  const height = rows * (h + pad) + pad;
  const padByte = toByte(options.padValue ?? (range === '-11' ? -1 : 0), range);
  const out = new Uint8Array(width * height * c).fill(padByte);
  const src = images.data as Float32Array;
  const plane = h * w;
  for (let k = 0; k < n; k++) {
    const x0 = pad + (k % ncol) * (w + pad);
    const y0 = pad + Math.floor(k / ncol) * (h + pad);
    for (let ch = 0; ch < c; ch++) {
      const base = (k * c + ch) * plane;
      for (let y = 0; y < h; y++) {
        let o = ((y0 + y) * width + x0) * c + ch;
        const row = base + y * w;
        for (let x = 0; x < w; x++, o += c) out[o] = toByte(src[row + x], range);
      }
    }
  }
  return { width, height, channels: c, data: out };
}

/**
 * Encode an 8-bit gray or RGB image as PNG bytes (works in browsers and Node).
 * `text` entries become PNG `tEXt` chunks (Latin-1 keys under 80 characters).
 *
 * @example
 * const png = encodePng({ width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 0]) });
 */
export function encodePng(image: RasterImage, text?: Record<string, string>): Uint8Array {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PictureError(
      `encodePng: width and height must be positive integers, got ${width}x${height}`,
    );
  }
  if (channels !== 1 && channels !== 3) {
    throw new PictureError(`encodePng: channels must be 1 or 3, got ${channels}`);
  }
  if (data.length !== width * height * channels) {
    throw new PictureError(
      `encodePng: ${width}x${height}x${channels} image needs ${width * height * channels} bytes, got ${data.length}`,
    );
  }
  return encode({ width, height, channels, depth: 8, data, ...(text ? { text } : {}) });
}

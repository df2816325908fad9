/**
 * 2-D pictures: scatter plots of data against samples (PNG and SVG) and density heat maps
 * of 2-D models. Browser-safe: pure TypeScript plus `fast-png` (through `png.ts`).
 */
import type { Tensor } from '@genmodels/runtime';
import { encodePng, PictureError, type RasterImage } from './png.js';

/** An 8-bit RGB color. */
export type RGB = readonly [number, number, number];

/** The plotted window in data coordinates; y grows upward. */
export interface Bounds {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

/** One set of points: `points: [n, 2]` (Tensor float32 or interleaved Float32Array). */
export interface ScatterSet {
  points: Tensor | Float32Array;
  /** `[r, g, b]` bytes, `'#rgb'`, `'#rrggbb'` or one of {@link NAMED_COLORS}. */
  color: RGB | string;
  /** Legend text (SVG); sets without a label get no legend entry. */
  label?: string;
}

/** Options of {@link scatterPlot}. */
export interface ScatterOptions {
  /** Pixels; default 400 x 400. */
  width?: number;
  height?: number;
  /** Default: the extent of all points plus a 5% margin. */
  bounds?: Bounds;
  /** Dot radius in pixels; default 1.5. */
  radius?: number;
  /** Dot opacity in (0, 1]; default 0.8 (overlaps darken, showing density). */
  opacity?: number;
}

/** Named colors accepted by {@link parseColor} (tab10-like defaults for data/samples). */
export const NAMED_COLORS: Readonly<Record<string, RGB>> = {
  black: [0, 0, 0],
  white: [255, 255, 255],
  gray: [128, 128, 128],
  red: [214, 39, 40],
  green: [44, 160, 44],
  blue: [31, 119, 180],
  orange: [255, 127, 14],
  purple: [148, 103, 189],
};

/**
 * Parse a color: `[r, g, b]` bytes, `'#rgb'`, `'#rrggbb'` or a name from {@link NAMED_COLORS}.
 *
 * @example
 * parseColor('#ff8000'); // [255, 128, 0]
 */
export function parseColor(color: RGB | string): RGB {
  if (typeof color !== 'string') {
    if (color.length === 3 && color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
      return [color[0], color[1], color[2]];
    }
    throw new PictureError(`parseColor: expected [r, g, b] bytes 0..255, got [${color.join(',')}]`);
  }
  const named = NAMED_COLORS[color.toLowerCase()];
  if (named) return named;
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((d) => d + d).join('') : hex;
    const byte = (i: number) => Number.parseInt(full.slice(2 * i, 2 * i + 2), 16);
    return [byte(0), byte(1), byte(2)];
  }
  throw new PictureError(
    `parseColor: unknown color '${color}'; expected '#rgb', '#rrggbb', [r, g, b] or one of ${Object.keys(NAMED_COLORS).join(', ')}`,
  );
}

function toHex([r, g, b]: RGB): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Interleaved xy of a `[n, 2]` Tensor or Float32Array, validated. */
function readPoints(points: Tensor | Float32Array, where: string): Float32Array {
  if (points instanceof Float32Array) {
    if (points.length % 2 !== 0) {
      throw new PictureError(`${where}: interleaved xy needs an even length, got ${points.length}`);
    }
    return points;
  }
  if (points.dtype !== 'float32' || points.shape.length !== 2 || points.shape[1] !== 2) {
    throw new PictureError(
      `${where}: expected float32 points [n, 2], got ${points.dtype}[${points.shape.join(',')}]`,
    );
  }
  return points.data as Float32Array;
}

function checkBounds(b: Bounds, where: string): void {
  const ok = [b.xmin, b.xmax, b.ymin, b.ymax].every(Number.isFinite);
  if (!ok || !(b.xmax > b.xmin) || !(b.ymax > b.ymin)) {
    throw new PictureError(
      `${where}: bounds need finite xmin < xmax and ymin < ymax, got x [${b.xmin}, ${b.xmax}], y [${b.ymin}, ${b.ymax}]`,
    );
  }
}

function checkSize(value: number, name: string, where: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 16384) {
    throw new PictureError(`${where}: ${name} must be an integer in 1..16384, got ${value}`);
  }
}

/** Extent of all finite points plus a 5% margin (±1 around a degenerate extent). */
function autoBounds(sets: Float32Array[]): Bounds {
  let [xmin, xmax, ymin, ymax] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of sets) {
    for (let i = 0; i < p.length; i += 2) {
      const x = p[i];
      const y = p[i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xmin = Math.min(xmin, x);
      xmax = Math.max(xmax, x);
      ymin = Math.min(ymin, y);
      ymax = Math.max(ymax, y);
    }
  }
  if (!(xmax >= xmin)) return { xmin: -1, xmax: 1, ymin: -1, ymax: 1 };
  const mx = xmax > xmin ? 0.05 * (xmax - xmin) : 1;
  const my = ymax > ymin ? 0.05 * (ymax - ymin) : 1;
  return { xmin: xmin - mx, xmax: xmax + mx, ymin: ymin - my, ymax: ymax + my };
}

function escapeXml(text: string): string {
  const map: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
  return text.replace(/[&<>"]/g, (ch) => map[ch]);
}

/** Paint a disk into an RGB float canvas with alpha blending; always covers its own pixel. */
function paintDot(
  canvas: Float32Array,
  w: number,
  h: number,
  fx: number,
  fy: number,
  r: number,
  rgb: RGB,
  alpha: number,
): void {
  const own = Math.min(Math.floor(fx), w - 1) + Math.min(Math.floor(fy), h - 1) * w;
  const x0 = Math.max(0, Math.floor(fx - r));
  const x1 = Math.min(w - 1, Math.ceil(fx + r));
  const y0 = Math.max(0, Math.floor(fy - r));
  const y1 = Math.min(h - 1, Math.ceil(fy + r));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - fx;
      const dy = y + 0.5 - fy;
      if (dx * dx + dy * dy > r * r && y * w + x !== own) continue;
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) canvas[o + c] += alpha * (rgb[c] - canvas[o + c]);
    }
  }
}

/**
 * Scatter plot of point sets (e.g. data, then model samples drawn on top) as a PNG
 * (small alpha-blended dots on white, gray frame) and as an SVG (one `<circle>` per point
 * plus a legend of labelled sets). Points outside `bounds` (inclusive) or non-finite are
 * skipped. Pixel x = (x - xmin) / (xmax - xmin) * width; y is flipped so up is +y.
 *
 * @example
 * const { png, svg } = scatterPlot(
 *   [{ points: data, color: 'blue', label: 'data' }, { points: samples, color: 'orange', label: 'samples' }],
 *   { width: 400, height: 400, bounds: { xmin: -4, xmax: 4, ymin: -4, ymax: 4 } },
 * );
 */
export function scatterPlot(
  sets: ScatterSet[],
  options: ScatterOptions = {},
): { png: Uint8Array; svg: string; image: RasterImage } {
  const where = 'scatterPlot';
  const { width = 400, height = 400, radius = 1.5, opacity = 0.8 } = options;
  checkSize(width, 'width', where);
  checkSize(height, 'height', where);
  if (!(radius > 0 && radius <= 64)) {
    throw new PictureError(`${where}: radius must be in (0, 64] pixels, got ${radius}`);
  }
  if (!(opacity > 0 && opacity <= 1)) {
    throw new PictureError(`${where}: opacity must be in (0, 1], got ${opacity}`);
  }
  const points = sets.map((s, i) => readPoints(s.points, `${where}: set ${i}`));
  const colors = sets.map((s) => parseColor(s.color));
  const b = options.bounds ?? autoBounds(points);
  checkBounds(b, where);
  const sx = width / (b.xmax - b.xmin);
  const sy = height / (b.ymax - b.ymin);

  const canvas = new Float32Array(width * height * 3).fill(255);
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff" stroke="#999999"/>`,
  ];
  sets.forEach((_, s) => {
    const p = points[s];
    svg.push(`<g fill="${toHex(colors[s])}" fill-opacity="${opacity}">`);
    for (let i = 0; i < p.length; i += 2) {
      const x = p[i];
      const y = p[i + 1];
      if (!(x >= b.xmin && x <= b.xmax && y >= b.ymin && y <= b.ymax)) continue;
      const fx = (x - b.xmin) * sx;
      const fy = (b.ymax - y) * sy;
      paintDot(canvas, width, height, fx, fy, radius, colors[s], opacity);
      svg.push(`<circle cx="${fx.toFixed(2)}" cy="${fy.toFixed(2)}" r="${radius}"/>`);
    }
    svg.push('</g>');
  });
  const labelled = sets
    .map((s, i) => ({ label: s.label, color: colors[i] }))
    .filter((e) => e.label);
  if (labelled.length > 0) {
    svg.push('<g font-family="sans-serif" font-size="12">');
    labelled.forEach((e, i) => {
      const y = 8 + 16 * i;
      svg.push(`<rect x="8" y="${y}" width="10" height="10" fill="${toHex(e.color)}"/>`);
      svg.push(`<text x="22" y="${y + 9}" fill="#222222">${escapeXml(e.label ?? '')}</text>`);
    });
    svg.push('</g>');
  }
  svg.push('</svg>');

  const data = new Uint8Array(canvas.length);
  for (let i = 0; i < canvas.length; i++) data[i] = Math.round(canvas[i]);
  drawFrame(data, width, height);
  const image: RasterImage = { width, height, channels: 3, data };
  const legend = labelled.map((e) => `${e.label}: ${toHex(e.color)}`).join('; ');
  const png = encodePng(image, legend ? { Description: legend } : undefined);
  return { png, svg: svg.join('\n'), image };
}

/** A 1-pixel gray border, matching the SVG frame. */
function drawFrame(data: Uint8Array, w: number, h: number): void {
  const gray = (x: number, y: number) => data.fill(153, (y * w + x) * 3, (y * w + x) * 3 + 3);
  for (let x = 0; x < w; x++) {
    gray(x, 0);
    gray(x, h - 1);
  }
  for (let y = 0; y < h; y++) {
    gray(0, y);
    gray(w - 1, y);
  }
}

/** Viridis anchors (equally spaced, t = 0 ... 1); interpolated linearly between them. */
const VIRIDIS_ANCHORS = [
  '#440154',
  '#472d7b',
  '#3b528b',
  '#2c728e',
  '#21908c',
  '#27ad81',
  '#5dc863',
  '#aadc32',
  '#fde725',
].map((c) => parseColor(c));

const VIRIDIS_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  const segs = VIRIDIS_ANCHORS.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segs;
    const k = Math.min(Math.floor(t), segs - 1);
    const f = t - k;
    for (let c = 0; c < 3; c++) {
      const a = VIRIDIS_ANCHORS[k][c];
      lut[i * 3 + c] = Math.round(a + f * (VIRIDIS_ANCHORS[k + 1][c] - a));
    }
  }
  return lut;
})();

/**
 * Viridis-like perceptual colormap: `t` in [0, 1] (clamped; NaN -> 0) to RGB bytes, dark
 * purple through teal to yellow, lightness increasing monotonically.
 *
 * @example
 * viridis(0); // [68, 1, 84]
 */
export function viridis(t: number): RGB {
  const i = t > 0 ? Math.min(255, Math.round(t * 255)) : 0;
  return [VIRIDIS_LUT[i * 3], VIRIDIS_LUT[i * 3 + 1], VIRIDIS_LUT[i * 3 + 2]];
}

/** Options of {@link densityHeatmap}. */
export interface HeatmapOptions {
  bounds: Bounds;
  /** Cells per side, one pixel each; default 128. */
  resolution?: number;
  /** `'density'` colors exp(logp - max) (default); `'log'` colors logp over `logRange` nats. */
  scale?: 'density' | 'log';
  /** With `scale: 'log'`: values below max - logRange get the darkest color; default 10. */
  logRange?: number;
  /** If set, every call gets exactly this many points (the last chunk is padded). */
  batchSize?: number;
}

/**
 * Heat map of a 2-D model's density over `bounds`, in the viridis colormap (bright = dense).
 * `logDensity` receives interleaved points `[m, 2]` (cell centers, row 0 at the top, i.e.
 * y = ymax side) and returns `[m]` log-densities; -Infinity means zero density.
 * Returns the PNG, the RGB image and the log-densities `values: [res, res]` in image order.
 *
 * @example
 * const gauss = (p: Float32Array) =>
 *   Float32Array.from({ length: p.length / 2 }, (_, i) => -(p[2 * i] ** 2 + p[2 * i + 1] ** 2) / 2);
 * const { png } = await densityHeatmap(gauss, { bounds: { xmin: -3, xmax: 3, ymin: -3, ymax: 3 } });
 */
export async function densityHeatmap(
  logDensity: (pts: Float32Array) => Float32Array | Promise<Float32Array>,
  options: HeatmapOptions,
): Promise<{ png: Uint8Array; image: RasterImage; values: Float32Array }> {
  const where = 'densityHeatmap';
  const { bounds: b, resolution: res = 128, scale = 'density', logRange = 10 } = options;
  checkBounds(b, where);
  checkSize(res, 'resolution', where);
  if (!(logRange > 0)) throw new PictureError(`${where}: logRange must be > 0, got ${logRange}`);
  const m = res * res;
  const pts = new Float32Array(m * 2);
  for (let j = 0; j < res; j++) {
    for (let i = 0; i < res; i++) {
      pts[2 * (j * res + i)] = b.xmin + ((i + 0.5) / res) * (b.xmax - b.xmin);
      pts[2 * (j * res + i) + 1] = b.ymax - ((j + 0.5) / res) * (b.ymax - b.ymin);
    }
  }
  const values = await evaluateChunked(logDensity, pts, options.batchSize ?? m, where);
  let max = -Infinity;
  for (let k = 0; k < m; k++) {
    const v = values[k];
    if (Number.isNaN(v) || v === Infinity) {
      throw new PictureError(
        `${where}: logDensity returned ${v} at (${pts[2 * k]}, ${pts[2 * k + 1]}); expected finite values or -Infinity`,
      );
    }
    if (v > max) max = v;
  }
  const data = new Uint8Array(m * 3);
  for (let k = 0; k < m; k++) {
    const v = values[k];
    let t = 0;
    if (max > -Infinity) t = scale === 'log' ? 1 + (v - max) / logRange : Math.exp(v - max);
    data.set(viridis(t), k * 3);
  }
  const image: RasterImage = { width: res, height: res, channels: 3, data };
  return { png: encodePng(image), image, values };
}

async function evaluateChunked(
  fn: (pts: Float32Array) => Float32Array | Promise<Float32Array>,
  pts: Float32Array,
  batch: number,
  where: string,
): Promise<Float32Array> {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new PictureError(`${where}: batchSize must be a positive integer, got ${batch}`);
  }
  const m = pts.length / 2;
  const out = new Float32Array(m);
  for (let start = 0; start < m; start += batch) {
    const count = Math.min(batch, m - start);
    let chunk = pts.subarray(2 * start, 2 * (start + count));
    if (count < batch) {
      // Fixed-batch models: pad by repeating the last point, then drop the extras.
      const padded = new Float32Array(2 * batch);
      padded.set(chunk);
      for (let k = count; k < batch; k++) padded.set(chunk.subarray(2 * count - 2), 2 * k);
      chunk = padded;
    }
    const got = await fn(chunk.slice());
    if (!(got instanceof Float32Array) || got.length !== chunk.length / 2) {
      throw new PictureError(
        `${where}: logDensity must return a Float32Array [${chunk.length / 2}] for ${chunk.length / 2} points, got ${got?.constructor?.name}[${(got as { length?: number })?.length}]`,
      );
    }
    out.set(got.subarray(0, count), start);
  }
  return out;
}

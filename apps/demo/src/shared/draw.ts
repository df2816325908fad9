/**
 * Canvas pictures of model outputs: image grids, 2-D scatter plots and density heat maps.
 * Pixels are drawn at their native size and scaled by CSS (`image-rendering: pixelated`).
 */

/** A square region of the plane: [-half, half]^2 unless given otherwise. */
export interface Bounds {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

export const square = (half: number): Bounds => ({
  xmin: -half,
  xmax: half,
  ymin: -half,
  ymax: half,
});

/** A half-width that shows 98% of the points' coordinates (at least `min`), rounded up. */
export function fitBound(points: Float32Array, min: number): number {
  const a = Float32Array.from(points, Math.abs).filter(Number.isFinite).sort();
  const q = a.length ? a[Math.floor(0.98 * (a.length - 1))] : 0;
  return Math.max(min, Math.ceil(q * 1.15));
}

function context(canvas: HTMLCanvasElement, width: number, height: number) {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas context');
  return ctx;
}

/** Count a canvas as drawn (the tests wait for `data-drawn`). */
function drawn(canvas: HTMLCanvasElement): void {
  canvas.dataset.drawn = String(Number(canvas.dataset.drawn ?? 0) + 1);
}

/**
 * Draw `n` images (flat [n, channels, h, w]: gray with 1 channel, RGB with 3; values in
 * [0, 1] or [-1, 1]) as a grid of `cols` columns with one-pixel gaps.
 */
export function drawImages(
  canvas: HTMLCanvasElement,
  pixels: Float32Array,
  opts: {
    n: number;
    h: number;
    w: number;
    cols: number;
    channels?: number;
    range?: '01' | '-11';
  },
): void {
  const { n, h, w, cols } = opts;
  const c = opts.channels ?? 1;
  const plane = h * w;
  const rows = Math.ceil(n / cols);
  const width = cols * (w + 1) + 1;
  const height = rows * (h + 1) + 1;
  const ctx = context(canvas, width, height);
  const img = ctx.createImageData(width, height);
  img.data.fill(40);
  const lo = opts.range === '-11' ? -1 : 0;
  const scale = 255 / (1 - lo);
  for (let k = 0; k < n; k++) {
    const ox = (k % cols) * (w + 1) + 1;
    const oy = Math.floor(k / cols) * (h + 1) + 1;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const o = 4 * ((oy + y) * width + ox + x);
        for (let ch = 0; ch < 3; ch++) {
          const i = (k * c + Math.min(ch, c - 1)) * plane + y * w + x;
          img.data[o + ch] = Math.max(0, Math.min(255, (pixels[i] - lo) * scale));
        }
      }
  }
  for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
  ctx.putImageData(img, 0, 0);
  drawn(canvas);
}

/** One set of points [x0, y0, x1, y1, ...] in a scatter plot. */
export interface PointSet {
  points: Float32Array | readonly number[];
  color: string;
  /** Dot radius in canvas pixels (default 1.5). */
  radius?: number;
  /** Per-point colors (overrides `color`). */
  colors?: readonly string[];
}

/** Points over `bounds` on a `size` x `size` canvas; later sets are drawn on top. */
export function drawScatter(
  canvas: HTMLCanvasElement,
  sets: PointSet[],
  bounds: Bounds,
  opts: { size?: number; background?: string } = {},
): void {
  const size = opts.size ?? 360;
  const ctx = context(canvas, size, size);
  ctx.fillStyle = opts.background ?? '#fff';
  ctx.fillRect(0, 0, size, size);
  drawAxes(ctx, bounds, size);
  for (const s of sets) {
    const r = s.radius ?? 1.5;
    ctx.fillStyle = s.color;
    for (let i = 0; 2 * i + 1 < s.points.length; i++) {
      const [px, py] = toCanvas(s.points[2 * i], s.points[2 * i + 1], bounds, size);
      if (s.colors) ctx.fillStyle = s.colors[i % s.colors.length];
      ctx.fillRect(px - r, py - r, 2 * r, 2 * r);
    }
  }
  drawn(canvas);
}

function toCanvas(x: number, y: number, b: Bounds, size: number): [number, number] {
  return [((x - b.xmin) / (b.xmax - b.xmin)) * size, ((b.ymax - y) / (b.ymax - b.ymin)) * size];
}

function drawAxes(ctx: CanvasRenderingContext2D, b: Bounds, size: number): void {
  ctx.strokeStyle = 'rgba(0,0,0,0.12)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  const [ox, oy] = toCanvas(0, 0, b, size);
  ctx.moveTo(0, oy);
  ctx.lineTo(size, oy);
  ctx.moveTo(ox, 0);
  ctx.lineTo(ox, size);
  ctx.stroke();
}

const VIRIDIS = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];

/** Viridis color of t in [0, 1]. */
export function viridis(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/**
 * A density heat map from log-densities on a res x res grid (row 0 at the top): colors
 * follow p / max p, so the shape shows whatever the scale.
 */
export function drawHeatmap(canvas: HTMLCanvasElement, logp: Float32Array, res: number): void {
  const ctx = context(canvas, res, res);
  const img = ctx.createImageData(res, res);
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logp) if (Number.isFinite(v) && v > max) max = v;
  for (let i = 0; i < res * res; i++) {
    const p = Number.isFinite(logp[i]) ? Math.exp(logp[i] - max) : 0;
    const [r, g, b] = viridis(p);
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  drawn(canvas);
}

/** Distinct colors for class labels 0..9. */
export const CLASS_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Whether a canvas shows more than one color (what the tests check; also handy in the console). */
export function distinctColors(canvas: HTMLCanvasElement, limit = 64): number {
  const ctx = canvas.getContext('2d');
  if (!ctx || canvas.width === 0) return 0;
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const seen = new Set<number>();
  for (let i = 0; i < d.length && seen.size < limit; i += 4)
    seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return seen.size;
}

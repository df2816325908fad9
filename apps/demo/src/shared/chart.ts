/** A live line chart of training series (loss, ...) against steps, on a canvas. */
import type { Series } from './protocol.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

export class LossChart {
  readonly canvas: HTMLCanvasElement;
  readonly #series = new Map<string, [number, number][]>();
  #pending = false;

  constructor(width = 640, height = 200) {
    this.canvas = document.createElement('canvas');
    this.canvas.id = 'loss-chart';
    this.canvas.className = 'chart';
    this.canvas.width = width;
    this.canvas.height = height;
    this.draw();
  }

  clear(): void {
    this.#series.clear();
    this.draw();
  }

  add(series: Series): void {
    for (const [name, points] of Object.entries(series)) {
      const list = this.#series.get(name) ?? [];
      for (const p of points) if (Number.isFinite(p[1])) list.push(p);
      this.#series.set(name, list);
    }
    // Redraw at most once per frame however fast progress arrives.
    if (!this.#pending) {
      this.#pending = true;
      requestAnimationFrame(() => {
        this.#pending = false;
        this.draw();
      });
    }
  }

  draw(): void {
    const { width: w, height: h } = this.canvas;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    const all = [...this.#series.values()].flat();
    ctx.fillStyle = '#666';
    ctx.font = '12px system-ui, sans-serif';
    if (all.length === 0) {
      ctx.fillText('loss: press Train', 10, 20);
      return;
    }
    const pad = { l: 48, r: 10, t: 10, b: 22 };
    const x0 = all.reduce((m, p) => Math.min(m, p[0]), Number.POSITIVE_INFINITY);
    const x1 = all.reduce((m, p) => Math.max(m, p[0]), x0 + 1);
    // Robust y range: 2nd to 98th percentile, so that the first steps do not flatten the rest.
    const ys = all.map((p) => p[1]).sort((a, b) => a - b);
    let y0 = ys[Math.floor(0.02 * (ys.length - 1))];
    let y1 = ys[Math.ceil(0.98 * (ys.length - 1))];
    if (y1 - y0 < 1e-9) {
      y0 -= 0.5;
      y1 += 0.5;
    }
    const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
    const sy = (y: number) =>
      pad.t + (1 - (Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0)) * (h - pad.t - pad.b);
    ctx.strokeStyle = '#ddd';
    ctx.beginPath();
    ctx.moveTo(pad.l, pad.t);
    ctx.lineTo(pad.l, h - pad.b);
    ctx.lineTo(w - pad.r, h - pad.b);
    ctx.stroke();
    ctx.fillText(y1.toPrecision(3), 4, pad.t + 10);
    ctx.fillText(y0.toPrecision(3), 4, h - pad.b);
    ctx.fillText(`step ${x1}`, w - pad.r - 70, h - 6);
    let i = 0;
    for (const [name, points] of this.#series) {
      const color = COLORS[i % COLORS.length];
      // Raw values faint, an exponential moving average on top.
      ctx.globalAlpha = 0.25;
      this.#line(ctx, points, sx, sy, color);
      ctx.globalAlpha = 1;
      let ema = points[0]?.[1] ?? 0;
      const a = Math.min(0.3, 20 / Math.max(points.length, 1));
      const smooth = points.map(([x, y]): [number, number] => {
        ema += a * (y - ema);
        return [x, ema];
      });
      this.#line(ctx, smooth, sx, sy, color);
      const last = points[points.length - 1]?.[1];
      ctx.fillStyle = color;
      ctx.fillText(`${name} ${last?.toPrecision(4) ?? ''}`, pad.l + 8 + 140 * i, pad.t + 12);
      i++;
    }
  }

  #line(
    ctx: CanvasRenderingContext2D,
    points: [number, number][],
    sx: (x: number) => number,
    sy: (y: number) => number,
    color: string,
  ): void {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (const [k, [x, y]] of points.entries()) {
      if (k === 0) ctx.moveTo(sx(x), sy(y));
      else ctx.lineTo(sx(x), sy(y));
    }
    ctx.stroke();
  }
}

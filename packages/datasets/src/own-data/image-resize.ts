/**
 * Resize and center-crop decoded pixels into a planar float32 [C, S, S] slot in [0, 1].
 *
 * Geometry (torchvision's `Resize(S)` then `CenterCrop(S)`): the shorter side is scaled to
 * S, the longer one by the same factor, and the middle S pixels of it are kept (the crop
 * offset is rounded to a whole output pixel, so a crop at scale 1 never blurs).
 * Resampling is separable: **area averaging** when shrinking (each output pixel is the exact
 * area-weighted mean of the source pixels it covers, fractional edges included, like
 * OpenCV's INTER_AREA or a box filter) and **bilinear** (pixel centers, edges clamped) when
 * enlarging. Alpha is composited over `background` before resampling; color becomes gray
 * by ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B, as PIL's `convert('L')`), gray becomes
 * RGB by repeating it.
 */
import type { Pixels } from './image-decode.js';

/** Output of {@link resizeInto}: side `size`, `channels` planes, `background` gray level for transparent pixels. */
export interface ResizeTarget {
  size: number;
  channels: 1 | 3;
  background: number;
}

/** Per output index along one axis: `stride` source indices and weights (unused slots weigh 0). */
interface AxisWeights {
  index: Int32Array;
  weight: Float32Array;
  stride: number;
  /** Lowest and highest source index used. */
  lo: number;
  hi: number;
}

/**
 * Weights mapping `len` source pixels, from source coordinate `start` on at `scale` source
 * pixels per output pixel, to `size` output pixels: area when scale >= 1, else bilinear.
 */
function axisWeights(len: number, start: number, scale: number, size: number): AxisWeights {
  const stride = scale >= 1 ? Math.ceil(scale) + 2 : 2;
  const index = new Int32Array(size * stride);
  const weight = new Float32Array(size * stride);
  let lo = len;
  let hi = 0;
  const clamp = (i: number) => (i < 0 ? 0 : i >= len ? len - 1 : i);
  for (let o = 0; o < size; o++) {
    const k0 = o * stride;
    if (scale >= 1) {
      const a = start + o * scale;
      const b = a + scale;
      let k = 0;
      let sum = 0;
      for (let i = Math.floor(a); i < b && k < stride; i++) {
        const w = Math.min(b, i + 1) - Math.max(a, i);
        if (w <= 1e-9) continue;
        index[k0 + k] = clamp(i);
        weight[k0 + k] = w;
        sum += w;
        k++;
      }
      for (let j = 0; j < k; j++) weight[k0 + j] /= sum;
      for (let j = k; j < stride; j++) index[k0 + j] = index[k0];
    } else {
      const u = start + (o + 0.5) * scale - 0.5;
      const i0 = Math.floor(u);
      const f = u - i0;
      index[k0] = clamp(i0);
      index[k0 + 1] = clamp(i0 + 1);
      weight[k0] = 1 - f;
      weight[k0 + 1] = f;
    }
    for (let j = 0; j < stride; j++) {
      if (index[k0 + j] < lo) lo = index[k0 + j];
      if (index[k0 + j] > hi) hi = index[k0 + j];
    }
  }
  return { index, weight, stride, lo, hi };
}

/**
 * Source row `y`, columns `x0 .. x0 + cols - 1`, as `cw` working channels in [0, 1]
 * (alpha composited over `bg`; luma when cw = 1 and the source has color).
 */
function convertRow(
  px: Pixels,
  y: number,
  x0: number,
  cols: number,
  cw: number,
  bg: number,
  out: Float32Array,
): void {
  const { data, channels: ch, key } = px;
  const inv = 1 / px.max;
  let i = (y * px.width + x0) * ch;
  for (let x = 0; x < cols; x++, i += ch) {
    let r: number;
    let g: number;
    let b: number;
    if (ch === 1) {
      const v = key && data[i] === key[0] ? bg : data[i] * inv;
      out[x] = v;
      continue;
    }
    if (ch === 2) {
      const a = data[i + 1] * inv;
      out[x] = data[i] * inv * a + bg * (1 - a);
      continue;
    }
    if (ch === 3) {
      if (key && data[i] === key[0] && data[i + 1] === key[1] && data[i + 2] === key[2]) {
        r = bg;
        g = bg;
        b = bg;
      } else {
        r = data[i] * inv;
        g = data[i + 1] * inv;
        b = data[i + 2] * inv;
      }
    } else {
      const a = data[i + 3] * inv;
      const back = bg * (1 - a);
      r = data[i] * inv * a + back;
      g = data[i + 1] * inv * a + back;
      b = data[i + 2] * inv * a + back;
    }
    if (cw === 1) out[x] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      out[3 * x] = r;
      out[3 * x + 1] = g;
      out[3 * x + 2] = b;
    }
  }
}

/**
 * Resize and center-crop `px` (see the file comment) into
 * `out[offset .. offset + channels * size * size)`, planar, values in [0, 1].
 */
export function resizeInto(px: Pixels, t: ResizeTarget, out: Float32Array, offset: number): void {
  const { width: w, height: h } = px;
  const S = t.size;
  const scale = Math.min(w, h) / S;
  // Crop offsets in whole output pixels of the resized image, in source coordinates.
  const x0 = Math.max(0, Math.round((w / scale - S) / 2)) * scale;
  const y0 = Math.max(0, Math.round((h / scale - S) / 2)) * scale;
  const ax = axisWeights(w, x0, scale, S);
  const ay = axisWeights(h, y0, scale, S);
  const cw = t.channels === 1 || px.channels <= 2 ? 1 : 3;
  const cols = ax.hi - ax.lo + 1;
  const rows = ay.hi - ay.lo + 1;
  const row = new Float32Array(cols * cw);
  const tmp = new Float32Array(rows * S * cw);
  const { index: xi, weight: xw, stride: xs } = ax;
  for (let r = 0; r < rows; r++) {
    convertRow(px, ay.lo + r, ax.lo, cols, cw, t.background, row);
    const base = r * S * cw;
    for (let o = 0; o < S; o++) {
      const k0 = o * xs;
      if (cw === 1) {
        let s = 0;
        for (let k = 0; k < xs; k++) s += xw[k0 + k] * row[xi[k0 + k] - ax.lo];
        tmp[base + o] = s;
      } else {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        for (let k = 0; k < xs; k++) {
          const wk = xw[k0 + k];
          const j = 3 * (xi[k0 + k] - ax.lo);
          s0 += wk * row[j];
          s1 += wk * row[j + 1];
          s2 += wk * row[j + 2];
        }
        tmp[base + 3 * o] = s0;
        tmp[base + 3 * o + 1] = s1;
        tmp[base + 3 * o + 2] = s2;
      }
    }
  }
  const plane = S * S;
  const { index: yi, weight: yw, stride: ys } = ay;
  for (let o = 0; o < S; o++) {
    const k0 = o * ys;
    for (let c = 0; c < cw; c++) {
      const dst = offset + c * plane + o * S;
      for (let x = 0; x < S; x++) {
        let s = 0;
        for (let k = 0; k < ys; k++) s += yw[k0 + k] * tmp[((yi[k0 + k] - ay.lo) * S + x) * cw + c];
        out[dst + x] = s < 0 ? 0 : Math.min(s, 1);
      }
    }
  }
  if (t.channels === 3 && cw === 1) {
    out.copyWithin(offset + plane, offset, offset + plane);
    out.copyWithin(offset + 2 * plane, offset, offset + plane);
  }
}

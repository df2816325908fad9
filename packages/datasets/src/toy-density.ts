/**
 * Log densities of the toy sets that have a tractable one: exact for the Gaussian mixtures
 * and the checkerboard; for moons, circles and swissroll (a curve plus isotropic Gaussian
 * noise) the 1-D integral over the curve parameter is a midpoint rule with 512 nodes per
 * curve. Node spacing (<= 0.035) is far below the noise std (>= 0.2), and a sum of Gaussians
 * on such a grid matches the integral up to about exp(-2 pi^2 (std / spacing)^2), so the
 * quadrature error is negligible next to any Monte-Carlo error. Useful for reference
 * density maps and for checking NLLs against the entropy.
 */
import type { Tensor } from '@genmodels/runtime';
import { ToyDataError, type ToyName, toyMixture } from './toy.js';

/** Toy sets with a log density (pinwheel and 2spirals have none here). */
export type DensityToyName = Exclude<ToyName, 'pinwheel' | '2spirals'>;

const NODES = 512;

// Equal-weight mixture of N(c_k, std^2 I) in 2-D, evaluated with a stable log-sum-exp.
function mixtureLogDensity(xy: Float64Array, centers: Float64Array, std: number): Float64Array {
  const n = xy.length / 2;
  const k = centers.length / 2;
  const g = 1 / (2 * std * std);
  const norm = -Math.log(k) - Math.log(2 * Math.PI * std * std);
  const out = new Float64Array(n);
  const e = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i];
    const y = xy[2 * i + 1];
    let top = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const dx = x - centers[2 * j];
      const dy = y - centers[2 * j + 1];
      e[j] = -g * (dx * dx + dy * dy);
      if (e[j] > top) top = e[j];
    }
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(e[j] - top);
    out[i] = top + Math.log(s) + norm;
  }
  return out;
}

// Midpoint nodes of curves c(t), t uniform on [0, 1): flattened [x0, y0, x1, y1, ...].
function curveNodes(curves: ((t: number) => [number, number])[]): Float64Array {
  const out = new Float64Array(2 * NODES * curves.length);
  let p = 0;
  for (const c of curves) {
    for (let i = 0; i < NODES; i++) {
      const [x, y] = c((i + 0.5) / NODES);
      out[p++] = x;
      out[p++] = y;
    }
  }
  return out;
}

function checkerboardLogDensity(xy: Float64Array): Float64Array {
  const out = new Float64Array(xy.length / 2);
  for (let i = 0; i < out.length; i++) {
    const a = Math.floor(xy[2 * i] / 2);
    const b = Math.floor(xy[2 * i + 1] / 2);
    const inside = a >= -2 && a <= 1 && b >= -2 && b <= 1 && (a + b) % 2 === 0;
    out[i] = inside ? -Math.log(32) : Number.NEGATIVE_INFINITY;
  }
  return out;
}

const DENSITIES: Record<DensityToyName, (xy: Float64Array) => Float64Array> = {
  moons: (xy) => {
    const nodes = curveNodes([
      (t) => [2 * Math.cos(Math.PI * t) - 1, 2 * Math.sin(Math.PI * t) - 0.2],
      (t) => [1 - 2 * Math.cos(Math.PI * t), 0.8 - 2 * Math.sin(Math.PI * t)],
    ]);
    return mixtureLogDensity(xy, nodes, 0.2);
  },
  circles: (xy) => {
    const ring = (r: number) => (t: number) =>
      [r * Math.cos(2 * Math.PI * t), r * Math.sin(2 * Math.PI * t)] as [number, number];
    return mixtureLogDensity(xy, curveNodes([ring(3), ring(1.5)]), 0.24);
  },
  swissroll: (xy) => {
    const roll = (u: number): [number, number] => {
      const t = 1.5 * Math.PI * (1 + 2 * u);
      return [(t * Math.cos(t)) / 5, (t * Math.sin(t)) / 5];
    };
    return mixtureLogDensity(xy, curveNodes([roll]), 0.2);
  },
  checkerboard: checkerboardLogDensity,
  '8gaussians': (xy) => gaussians(xy, '8gaussians'),
  ring8: (xy) => gaussians(xy, 'ring8'),
  '25gaussians': (xy) => gaussians(xy, '25gaussians'),
};

function gaussians(xy: Float64Array, name: '8gaussians' | 'ring8' | '25gaussians') {
  const { centers, std } = toyMixture(name);
  return mixtureLogDensity(xy, Float64Array.from(centers.flat()), std);
}

/**
 * Log density ln p(x) [n] (nats) of a toy distribution at points [n, 2]; -Infinity outside
 * the checkerboard's support.
 *
 * @param name a toy set with a density (all but pinwheel and 2spirals)
 * @param points Tensor [n, 2] or rows [[x, y], ...]
 * @example
 * const lp = toyLogDensity('8gaussians', toyData('8gaussians', 1000, 0));
 * const entropy = -lp.reduce((a, b) => a + b, 0) / lp.length; // ~2.834
 */
export function toyLogDensity(
  name: DensityToyName,
  points: Tensor | readonly (readonly number[])[],
): Float64Array {
  const f = Object.hasOwn(DENSITIES, name) ? DENSITIES[name] : undefined;
  if (!f) {
    throw new ToyDataError(
      `toyLogDensity: no density for '${name}'; expected one of ${Object.keys(DENSITIES).join(', ')}`,
    );
  }
  let xy: Float64Array;
  if (Array.isArray(points)) {
    const rows = points as readonly (readonly number[])[];
    if (rows.some((r) => r.length !== 2)) {
      throw new ToyDataError(`toyLogDensity('${name}'): every point must have 2 coordinates`);
    }
    xy = Float64Array.from(rows.flat());
  } else {
    const t = points as Tensor;
    if (t.rank !== 2 || t.shape[1] !== 2) {
      throw new ToyDataError(
        `toyLogDensity('${name}'): expected points [n, 2], got [${t.shape.join(', ')}]`,
      );
    }
    xy = Float64Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
  }
  return f(xy);
}

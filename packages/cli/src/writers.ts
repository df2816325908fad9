/**
 * Writing what a family's `sample` returns: a picture (image grid or scatter plot), a
 * text file, or raw values (`.json` nested arrays, `.npy` float32), chosen by the
 * output file's extension.
 */
import { extname } from 'node:path';
import { encodePng, imageGrid, scatterPlot } from '@genmodels/datasets';
import { type FamilySamples, Tensor } from '@genmodels/runtime';
import { UsageError } from './errors.js';
import { writeOutput } from './fsio.js';
import { encodeNpy } from './npy.js';

/** Row-major `data` of `shape` as nested arrays (`[N, C, H, W]` -> number[][][][]). */
export function toNested(shape: readonly number[], data: ArrayLike<number>): unknown {
  if (shape.length === 0) return data[0];
  const build = (dim: number, offset: number): unknown => {
    const n = shape[dim];
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = dim === shape.length - 1 ? data[offset + i] : build(dim + 1, offset + i * stride);
    }
    return out;
  };
  return build(0, 0);
}

/** The float32 values of a host tensor (other dtypes are converted). */
function floats(t: Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  return Float32Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** The tensor holding the numbers of `s`, or null for text. */
function valuesOf(s: FamilySamples): Tensor | null {
  if (s.kind === 'images') return s.images;
  if (s.kind === 'points') return s.points;
  return null;
}

/**
 * Points [N, D] as the plane a scatter plot draws: the first two dimensions (D > 2), or
 * the values along x (D = 1).
 */
function plane(points: Tensor): Tensor {
  const [n, d] = points.shape;
  if (points.rank !== 2 || d === 2) return points;
  const v = floats(points);
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = v[i * d];
    out[2 * i + 1] = d > 1 ? v[i * d + 1] : 0;
  }
  return new Tensor('float32', [n, 2], out);
}

/** The PNG bytes of an image grid or scatter plot. */
function picture(s: FamilySamples, file: string): Uint8Array {
  if (s.kind === 'images') {
    const n = s.images.shape[0] ?? 1;
    return encodePng(imageGrid(s.images, { range: s.range, nrow: Math.ceil(Math.sqrt(n)) }));
  }
  if (s.kind === 'points') {
    const sets = [];
    if (s.reference) sets.push({ points: plane(s.reference), color: 'blue', label: 'data' });
    sets.push({ points: plane(s.points), color: 'orange', label: 'samples' });
    return scatterPlot(sets).png;
  }
  throw new UsageError(`cannot write text samples as a picture '${file}'; use .txt or .json`);
}

/**
 * Write samples to `file`: `.json` nested arrays (or a list of strings for text),
 * `.npy` float32 values, `.png` an image grid or a scatter plot, and any other
 * extension a text file (text samples only, separated by blank lines).
 *
 * @example
 * await writeSamples('out/samples.png', await model.sample(64, 0));
 */
export async function writeSamples(file: string, samples: FamilySamples): Promise<void> {
  const ext = extname(file).toLowerCase();
  const values = valuesOf(samples);
  if (ext === '.json') {
    const body = values
      ? toNested(values.shape, floats(values))
      : (samples as { texts: string[] }).texts;
    await writeOutput(file, `${JSON.stringify(body)}\n`);
  } else if (ext === '.npy') {
    if (!values)
      throw new UsageError(`cannot write text samples as .npy ('${file}'); use .txt or .json`);
    await writeOutput(file, encodeNpy(values.shape, floats(values)));
  } else if (ext === '.png') {
    await writeOutput(file, picture(samples, file));
  } else if (samples.kind === 'text') {
    await writeOutput(file, `${samples.texts.join('\n\n')}\n`);
  } else {
    throw new UsageError(
      `cannot write ${samples.kind} samples to '${file}': use a .png, .json or .npy file`,
    );
  }
}

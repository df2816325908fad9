/**
 * NumPy `.npy` (format version 1.0) encoding of float32 arrays, written by hand so
 * samples can be read with `np.load` without any extra dependency.
 */
import { UsageError } from './errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The Python tuple literal of a shape: `()`, `(3,)`, `(2, 3)`. */
function pyShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * Encode `data` (row-major, `shape`) as an NPY v1.0 file: magic, version 1.0, a
 * little-endian uint16 header length, then the header dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (...), }` padded with spaces and a
 * final newline so the data starts at a multiple of 64 bytes.
 *
 * @example
 * const bytes = encodeNpy([2, 2], new Float32Array([1, 2, 3, 4]));
 */
export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) {
    throw new UsageError(
      `encodeNpy: shape [${shape.join(',')}] needs ${n} values, got ${data.length}`,
    );
  }
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${pyShape(shape)}, }`;
  const preamble = MAGIC.length + 2 + 2;
  const unpadded = preamble + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const header = `${dict}${' '.repeat(total - unpadded)}\n`;
  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(total + i * 4, data[i], true);
  return out;
}

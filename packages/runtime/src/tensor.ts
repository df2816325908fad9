import { Tensor as OrtTensor } from 'onnxruntime-common';
import { DTypeError, ShapeError } from './errors.js';

/** Element types a Tensor can hold. `bool` is stored as one byte per element. */
export type DType = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8';

/** Typed array backing each dtype. */
export interface DataTypeMap {
  float32: Float32Array;
  int64: BigInt64Array;
  int32: Int32Array;
  bool: Uint8Array;
  uint8: Uint8Array;
}
export type TensorData = DataTypeMap[DType];

export const DTYPES: readonly DType[] = ['float32', 'int64', 'int32', 'bool', 'uint8'];

/** True for dtypes gradients flow through. */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32';
}

/** Number of elements of a fully static shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function allocate(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
    case 'uint8':
      return new Uint8Array(n);
  }
}

function dtypeOfData(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `Tensor: shape [${shape.join(',')}] has a dim that is not a non-negative integer`,
      );
    }
  }
}

/** The index of the first NaN or infinite value of `data`, or -1 when all are finite. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** The smallest and largest value of `data` ([Infinity, -Infinity] when empty). */
export function valueRange(data: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Same dtype, shape and bytes (so NaNs with equal bits are equal, and -0 differs from 0): a
 * tied weight's copies must agree exactly.
 *
 * @example sameTensor(sd['wte.weight'], sd['lm_head.weight'])
 */
export function sameTensor(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length) return false;
  if (a.shape.some((d, i) => d !== b.shape[i])) return false;
  const bytes = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const [x, y] = [bytes(a), bytes(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A tensor's dtype and shape for messages: `float32 [4, 3]`. */
export function describeTensor(x: { dtype: string; shape: readonly number[] }): string {
  return `${x.dtype} [${x.shape.join(', ')}]`;
}

/**
 * A host tensor: contiguous row-major typed data plus a static shape.
 *
 * @example
 * const x = Tensor.from([[1, 2], [3, 4]]);      // float32 [2, 2]
 * const y = new Tensor('int64', [3], new BigInt64Array([1n, 2n, 3n]));
 */
export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DataTypeMap[D];

  constructor(dtype: D, shape: readonly number[], data?: DataTypeMap[D]) {
    if (!DTYPES.includes(dtype)) {
      throw new DTypeError(
        `Tensor: unknown dtype '${dtype}'; expected one of ${DTYPES.join(', ')}`,
      );
    }
    checkShape(shape);
    const n = sizeOf(shape);
    const d = (data ?? allocate(dtype, n)) as DataTypeMap[D];
    const expected = dtypeOfData(d);
    if (expected !== dtype && !(expected === 'uint8' && dtype === 'bool')) {
      throw new DTypeError(
        `Tensor: dtype '${dtype}' does not match data of type ${d.constructor.name}`,
      );
    }
    if (d.length !== n) {
      throw new ShapeError(
        `Tensor: shape [${shape.join(',')}] needs ${n} elements, data has ${d.length}`,
      );
    }
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = d;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A float32 tensor from a number or (nested) number array. */
  static from(
    values: number | NestedArray,
    dtype: 'float32' | 'int32' | 'int64' = 'float32',
  ): Tensor {
    const shape: number[] = [];
    let v: unknown = values;
    while (Array.isArray(v)) {
      shape.push(v.length);
      v = v[0];
    }
    const flat = (
      Array.isArray(values) ? (values as unknown[]).flat(Number.POSITIVE_INFINITY) : [values]
    ) as number[];
    if (flat.length !== sizeOf(shape)) {
      throw new ShapeError(
        `Tensor.from: ragged nested array (expected ${sizeOf(shape)} elements for shape [${shape.join(',')}], got ${flat.length})`,
      );
    }
    if (dtype === 'int64')
      return new Tensor(
        'int64',
        shape,
        BigInt64Array.from(flat, (x) => BigInt(x)),
      );
    if (dtype === 'int32') return new Tensor('int32', shape, Int32Array.from(flat));
    return new Tensor('float32', shape, Float32Array.from(flat));
  }

  static zeros<D extends DType>(shape: readonly number[], dtype: D = 'float32' as D): Tensor<D> {
    return new Tensor(dtype, shape);
  }

  static full(shape: readonly number[], value: number): Tensor<'float32'> {
    return new Tensor('float32', shape, new Float32Array(sizeOf(shape)).fill(value));
  }

  /** A scalar (rank 0) tensor. */
  static scalar(value: number, dtype: 'float32' | 'int64' | 'int32' = 'float32'): Tensor {
    return Tensor.from(value, dtype);
  }

  /** Wrap an `ort.Tensor` that lives on the CPU (shares its data buffer). */
  static fromOrt(t: OrtTensor): Tensor {
    if (t.location !== 'cpu' && t.location !== 'cpu-pinned') {
      throw new DTypeError(
        `Tensor.fromOrt: tensor lives on '${t.location}'; download it with Executable.download() first`,
      );
    }
    const dtype = t.type as DType;
    if (!DTYPES.includes(dtype)) {
      throw new DTypeError(
        `Tensor.fromOrt: unsupported ORT tensor type '${t.type}'; expected one of ${DTYPES.join(', ')}`,
      );
    }
    return new Tensor(dtype, t.dims, t.data as TensorData);
  }

  /** An `ort.Tensor` sharing this tensor's data (CPU location). */
  toOrt(): OrtTensor {
    return new OrtTensor(this.dtype, this.data as never, this.shape as number[]);
  }

  /** Same data, other shape (element count must match). */
  reshape(shape: readonly number[]): Tensor<D> {
    return new Tensor(this.dtype, shape, this.data);
  }

  /**
   * Rows `rows` of axis 0, in that order (repeats allowed), copied into a new tensor
   * [rows.length, ...shape[1:]].
   *
   * @example x.takeRows([2, 0]) // rows 2 and 0 of x
   */
  takeRows(rows: ArrayLike<number>): Tensor<D> {
    if (this.rank === 0) throw new ShapeError('Tensor.takeRows: a scalar has no rows');
    const n = this.shape[0];
    const per = n === 0 ? 0 : this.size / n;
    const src = this.data as Float32Array;
    const out = new (src.constructor as Float32ArrayConstructor)(rows.length * per);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!(Number.isInteger(r) && r >= 0 && r < n))
        throw new ShapeError(`Tensor.takeRows: row ${r} is outside 0..${n - 1}`);
      out.set(src.subarray(r * per, (r + 1) * per), i * per);
    }
    return new Tensor(this.dtype, [rows.length, ...this.shape.slice(1)], out as DataTypeMap[D]);
  }

  /** Deep copy. */
  clone(): Tensor<D> {
    return new Tensor(this.dtype, this.shape, this.data.slice() as DataTypeMap[D]);
  }

  /** Elements as JS numbers (int64 converted with Number()). */
  toArray(): number[] {
    return Array.from(this.data as ArrayLike<number | bigint>, (x) => Number(x));
  }

  /** The single element of a size-1 tensor. */
  item(): number {
    if (this.size !== 1)
      throw new ShapeError(
        `Tensor.item: tensor has shape [${this.shape.join(',')}], expected one element`,
      );
    return Number(this.data[0]);
  }

  toString(): string {
    const max = 6;
    const vals = this.toArray();
    const fmt = (x: number) => (this.dtype === 'float32' ? formatFloat(x) : String(x));
    const body =
      vals.length <= 2 * max
        ? vals.map(fmt).join(', ')
        : `${vals.slice(0, max).map(fmt).join(', ')}, ..., ${vals.slice(-max).map(fmt).join(', ')}`;
    return `Tensor<${this.dtype}>[${this.shape.join(', ')}] [${body}]`;
  }
}

function formatFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return x.toFixed(1);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e6)
    ? x.toExponential(3)
    : Number(x.toPrecision(5)).toString();
}

export type NestedArray = number[] | NestedArray[];

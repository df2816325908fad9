import type { ort } from '#backend';
import { formatShape } from '../graph/shape.js';
import type { DType } from '../tensor.js';

/**
 * A tensor that lives in device memory (a WebGPU buffer), returned by executables for
 * outputs kept on the device. Its ORT handle is private: ORT 1.30 aborts the process on
 * `getData()` of a gpu-buffer tensor, so reading goes through `Runtime.download()`.
 */
export class DeviceTensor {
  readonly #handle: ort.Tensor;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly location: string;

  constructor(handle: ort.Tensor) {
    this.#handle = handle;
    this.dtype = handle.type as DType;
    this.shape = Object.freeze([...handle.dims]);
    this.location = handle.location;
  }

  /** The ORT handle, for the runtime's own feeds and downloads. */
  static handle(t: DeviceTensor): ort.Tensor {
    return t.#handle;
  }

  toString(): string {
    return `DeviceTensor<${this.dtype}>${formatShape(this.shape)} on ${this.location}`;
  }
}

import { ort } from '#backend';
import { DeviceError, DTypeError, FeedError } from '../errors.js';
import type { Shape } from '../graph/shape.js';
import { formatShape } from '../graph/shape.js';
import { type DType, Tensor } from '../tensor.js';
import { DeviceTensor } from './device-tensor.js';
import type { Runtime } from './runtime.js';

/** Name, dtype and (possibly symbolic) shape of an executable's input or output. */
export interface IOSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

/** What can be fed: a host Tensor, or a device-resident output of an earlier run. */
export type Feed = Tensor | DeviceTensor;

/** An output: a host Tensor (sharing ORT's buffer, no copy) or a DeviceTensor for device-kept outputs. */
export type Output = Tensor | DeviceTensor;

/**
 * One compiled graph: one ONNX Runtime session. Feeds are checked against the
 * traced input specs before ORT sees them; outputs stay ORT tensors (possibly on the
 * device) until downloaded.
 */
export class Executable {
  constructor(
    readonly runtime: Runtime,
    /** The raw ORT session: an escape hatch that bypasses feed checks and device guards. */
    readonly rawSession: ort.InferenceSession,
    readonly inputs: readonly IOSpec[],
    readonly outputs: readonly IOSpec[],
    /** The encoded ONNX model. */
    readonly model: Uint8Array,
    readonly name: string,
    /** Intra-op threads of the session (Node.js; browsers share one WASM thread pool). */
    readonly threads: number = runtime.threads,
  ) {}

  /** Run once; device-kept outputs (see CompileOptions.deviceOutputs) come back as DeviceTensors. */
  async run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, Output>> {
    const out = await this.rawSession.run(this.checkFeeds(feeds));
    const res: Record<string, Output> = {};
    for (const [k, v] of Object.entries(out)) {
      res[k] =
        v.location === 'cpu' || v.location === 'cpu-pinned'
          ? Tensor.fromOrt(v)
          : new DeviceTensor(v);
    }
    return res;
  }

  /** Run once and bring every output to the host. */
  async runHost(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, Tensor>> {
    const out = await this.run(feeds);
    const host: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(out))
      host[k] = v instanceof Tensor ? v : await this.runtime.download(v);
    return host;
  }

  /**
   * @internal Run with already-converted ORT feeds and return raw ORT outputs. For the
   * runtime's own loops (train steps), whose state tensors come from this session.
   */
  async runOrt(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    return this.rawSession.run(feeds);
  }

  /**
   * Validate names, dtypes, ranks, static dims and symbolic-dim consistency, and
   * convert to ORT tensors. With `partial`, inputs not given are not required.
   */
  checkFeeds(feeds: Readonly<Record<string, Feed>>, partial = false): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    const symbols = new Map<string, [number, string]>();
    for (const spec of this.inputs) {
      const f = feeds[spec.name];
      if (f === undefined && partial) continue;
      if (f === undefined) {
        throw new FeedError(
          `${this.name}: missing input '${spec.name}' (${spec.dtype}${formatShape(spec.shape)}); expected inputs: ${this.inputs.map((i) => i.name).join(', ')}`,
        );
      }
      if (!(f instanceof Tensor || f instanceof DeviceTensor)) {
        throw new FeedError(
          `${this.name}: input '${spec.name}' must be a Tensor or a DeviceTensor, got ${Object.prototype.toString.call(f)}`,
        );
      }
      const { dtype, shape: dims } = f;
      if (dtype !== spec.dtype) {
        throw new DTypeError(
          `${this.name}: input '${spec.name}' has dtype ${dtype}, expected ${spec.dtype}`,
        );
      }
      const bad = () =>
        new FeedError(
          `${this.name}: input '${spec.name}' has shape ${formatShape(dims)}, expected ${formatShape(spec.shape)}`,
        );
      if (dims.length !== spec.shape.length) throw bad();
      spec.shape.forEach((d, i) => {
        if (typeof d === 'number') {
          if (dims[i] !== d) throw bad();
          return;
        }
        const seen = symbols.get(d);
        if (seen && seen[0] !== dims[i]) {
          throw new FeedError(
            `${this.name}: dim '${d}' is ${seen[0]} in input '${seen[1]}' but ${dims[i]} in input '${spec.name}'`,
          );
        }
        symbols.set(d, [dims[i], spec.name]);
      });
      if (f instanceof Tensor) out[spec.name] = toOrt(f);
      else {
        // A gpu-buffer fed to a CPU session silently gives garbage in ORT 1.30.
        if (this.runtime.device !== 'webgpu') {
          throw new DeviceError(
            `${this.name}: input '${spec.name}' lives in a WebGPU buffer but this executable runs on '${this.runtime.device}'; download it first`,
          );
        }
        out[spec.name] = DeviceTensor.handle(f);
      }
    }
    for (const k of Object.keys(feeds)) {
      if (!this.inputs.some((i) => i.name === k)) {
        throw new FeedError(
          `${this.name}: unknown input '${k}'; expected inputs: ${this.inputs.map((i) => i.name).join(', ')}`,
        );
      }
    }
    return out;
  }

  /** Release the ORT session. */
  async dispose(): Promise<void> {
    await this.rawSession.release();
  }
}

/**
 * An ORT tensor sharing `t`'s data, built with the backend's own Tensor class (the
 * ESM onnxruntime-common class is a different one from the backend's CommonJS copy).
 */
export function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data as never, t.shape as number[]);
}

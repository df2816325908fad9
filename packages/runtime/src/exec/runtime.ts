import {
  adaptSessionOptions,
  checkDevice,
  configureThreads,
  cpuPlacedNodes,
  DEFAULT_DEVICE,
  type Device,
  defaultThreads,
  ort,
  probeWebGpu,
  sessionErrorHint,
  setWasmPaths,
} from '#backend';
import { DeviceError } from '../errors.js';
import { encodeModel, type Lowering } from '../graph/encode.js';
import { Graph, primitive, type Value } from '../graph/graph.js';
import { nchwcConvLowering } from '../graph/nchwc.js';
import { chainLowerings, scatterAddLowering } from '../graph/scatter-lowering.js';
import { Tensor } from '../tensor.js';
import { DeviceTensor } from './device-tensor.js';
import { Executable } from './executable.js';

export type { Device };

export interface RuntimeOptions {
  /** Execution device: 'cpu' (default), 'cuda', 'webgpu' on Node.js; 'wasm' (default), 'webgpu' in browsers. */
  device?: Device;
  /**
   * Intra-op threads; default: the machine's available parallelism on Node.js. In browsers
   * WASM threads need cross-origin isolation; default up to 4 when isolated, else 1.
   * Unless this is given, a CPU train step of a small model (at most 262,144 parameters,
   * no convolution) runs on one thread: its nodes are too small for a second thread to pay
   * for waking it (measured 15-35% faster on 2 cores; see docs/performance.md).
   */
  threads?: number;
  /** Browsers only: URL prefix of onnxruntime-web's .wasm/.mjs files when the bundler does not place them. */
  wasmPaths?: string;
  /** Throw at compile time when any node would silently fall back to the CPU provider. */
  strictDevice?: boolean;
  /** ORT log level: 0 verbose ... 4 fatal; default 3 (errors). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Node.js, device 'webgpu': show what the GPU drivers print while the adapter is probed. */
  verbose?: boolean;
  /**
   * Node.js: write ONNX Runtime's per-node profile of every session compiled by this runtime
   * to `<profile>_<time>.json` (Chrome trace format) when the session is disposed.
   * `summarizeProfile` (from `@genmodels/runtime`) turns one into time per op type.
   */
  profile?: string;
  /**
   * Node.js CPU: run each Conv whose weight is computed or fed (every Conv of a train
   * step) on ONNX Runtime's blocked NCHWc kernels, with the filter reordered in the graph
   * (see graph/nchwc.ts); default true where the CPU has them (AVX2/AVX-512). ORT does this
   * by itself only for constant weights. Results differ from the im2col path by float32
   * round-off (the order of the sums).
   */
  nchwc?: boolean;
  /**
   * Node.js CPU: ONNX Runtime's CPU memory arena (default true). Without it, each tensor is
   * allocated from and returned to the system allocator: lower peak memory (a BFC arena
   * grows in powers of two and keeps its chunks), possibly slower steps.
   */
  memoryArena?: boolean;
}

export interface CompileOptions {
  /** Name used in error messages. */
  name?: string;
  /** Outputs that stay on the device (WebGPU gpu-buffer) to be fed back without host copies. */
  deviceOutputs?: readonly string[];
  /** Node.js CPU: intra-op threads of this session (default: the runtime's `threads`). */
  threads?: number;
  metadata?: Readonly<Record<string, string>>;
}

/**
 * The entry point: a device plus session options tuned for it.
 *
 * @example
 * const rt = await Runtime.create({ device: 'cpu' });
 * const exe = await rt.compile(graph, { y });
 * const { y: out } = await exe.runHost({ x: Tensor.from([[1, 2]]) });
 */
export class Runtime {
  private readonly downloaders = new Map<string, Promise<ort.InferenceSession>>();
  /** Sessions compiled while profiling, until endProfiling() writes their profiles. */
  private readonly profiled: ort.InferenceSession[] = [];

  private constructor(
    readonly device: Device,
    readonly threads: number,
    /** Whether `threads` was given to Runtime.create (else the runtime may use fewer per session). */
    readonly threadsGiven: boolean,
    readonly strictDevice: boolean,
    readonly logSeverityLevel: number,
    readonly profile?: string,
    /** ORT's NCHWc channel block for computed-weight Convs (16 AVX-512, 8 AVX2); 0: not used. */
    readonly nchwcBlock = 0,
    readonly memoryArena = true,
  ) {}

  static async create(opts: RuntimeOptions = {}): Promise<Runtime> {
    const device = opts.device ?? DEFAULT_DEVICE;
    checkDevice(device);
    if (opts.wasmPaths !== undefined) setWasmPaths(opts.wasmPaths);
    const threads = opts.threads ?? defaultThreads();
    if (!Number.isInteger(threads) || threads < 1)
      throw new DeviceError(`Runtime.create: threads must be a positive integer, got ${threads}`);
    configureThreads(threads, opts.threads !== undefined);
    if (opts.profile !== undefined && (typeof opts.profile !== 'string' || opts.profile === ''))
      throw new DeviceError('Runtime.create: profile must be a non-empty file prefix');
    const rt = new Runtime(
      device,
      threads,
      opts.threads !== undefined,
      opts.strictDevice ?? false,
      opts.logSeverityLevel ?? 3,
      opts.profile,
      device === 'cpu' && (opts.nchwc ?? true) ? await nchwcBlockSize() : 0,
      opts.memoryArena ?? true,
    );
    if (device === 'webgpu') {
      const g = new Graph('probe');
      const x = g.input('x', 'float32', [1]);
      const model = encodeModel(g, { outputs: { y: x } });
      await probeWebGpu({
        model,
        createSession: () => ort.InferenceSession.create(model, { executionProviders: ['webgpu'] }),
        verbose: opts.verbose ?? false,
      });
    }
    return rt;
  }

  /** Session options for this device: no spinning thread pool (it fights Node's main thread). */
  sessionOptions(
    deviceOutputs: readonly string[] = [],
    threads = this.threads,
  ): ort.InferenceSession.SessionOptions {
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: [this.device],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      ...(this.memoryArena ? {} : { enableCpuMemArena: false }),
      logSeverityLevel: this.logSeverityLevel as 0 | 1 | 2 | 3 | 4,
      ...(this.profile ? { enableProfiling: true, profileFilePrefix: this.profile } : {}),
      extra: {
        session: {
          intra_op: { allow_spinning: '0' },
          inter_op: { allow_spinning: '0' },
          ...(this.strictDevice ? { disable_cpu_ep_fallback: '1' } : {}),
        },
      },
    };
    if (this.device === 'webgpu' && deviceOutputs.length > 0) {
      opts.preferredOutputLocation = Object.fromEntries(
        deviceOutputs.map((n) => [n, 'gpu-buffer' as const]),
      );
    }
    return adaptSessionOptions(opts);
  }

  /** CPU: deterministic scatter-adds, and NCHWc convolutions where the CPU has them. */
  #cpuLowering(): Lowering {
    return this.nchwcBlock > 0
      ? chainLowerings(nchwcConvLowering(this.nchwcBlock), scatterAddLowering)
      : scatterAddLowering;
  }

  /** Compile the part of `graph` that computes `outputs` into one ORT session. */
  async compile(
    graph: Graph,
    outputs: Readonly<Record<string, Value>>,
    opts: CompileOptions = {},
  ): Promise<Executable> {
    const name = opts.name ?? graph.name;
    const model = encodeModel(graph, {
      outputs,
      metadata: opts.metadata,
      lower: this.device === 'cpu' ? this.#cpuLowering() : undefined,
    });
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(
        model,
        this.sessionOptions(opts.deviceOutputs, opts.threads),
      );
    } catch (e) {
      throw new DeviceError(
        `${name}: ONNX Runtime could not create a '${this.device}' session: ${(e as Error).message}${sessionErrorHint((e as Error).message)}`,
      );
    }
    if (this.profile) this.profiled.push(session);
    const inputs = graph.inputs.map((v) => ({ name: v.name!, dtype: v.dtype, shape: v.shape }));
    const outs = Object.entries(outputs).map(([n, v]) => ({
      name: n,
      dtype: v.dtype,
      shape: v.shape,
    }));
    return new Executable(this, session, inputs, outs, model, name, opts.threads ?? this.threads);
  }

  /**
   * With `profile` set: stop profiling every session compiled so far and write each one's
   * profile file now (ORT otherwise writes it when the session is released).
   */
  endProfiling(): void {
    for (const s of this.profiled.splice(0)) s.endProfiling();
  }

  /** Nodes of `exe`'s model that ORT placed on the CPU provider (see cpuPlacedNodes). */
  cpuFallbacks(exe: Executable): string[] {
    return this.device === 'cpu' ? [] : cpuPlacedNodes(exe.model, this.device);
  }

  /**
   * Bring an ORT output to the host. WebGPU buffers are copied through an Identity
   * session, since `getData()` on a gpu-buffer tensor aborts the process in ORT 1.30.
   */
  async download(dt: Tensor | DeviceTensor): Promise<Tensor> {
    return dt instanceof Tensor ? dt : this.downloadOrt(DeviceTensor.handle(dt));
  }

  /** @internal Download a raw ORT tensor (host tensors are wrapped without a copy). */
  async downloadOrt(t: ort.Tensor): Promise<Tensor> {
    if (t.location === 'cpu' || t.location === 'cpu-pinned') return Tensor.fromOrt(t);
    if (t.location !== 'gpu-buffer' || this.device !== 'webgpu') {
      throw new DeviceError(
        `download: cannot read a tensor on '${t.location}' with a '${this.device}' runtime`,
      );
    }
    const key = `${t.type}:${t.dims.length}`;
    let s = this.downloaders.get(key);
    if (!s) {
      const g = new Graph('download');
      const x = g.input(
        'x',
        t.type as Tensor['dtype'],
        t.dims.map((_, i) => `d${i}`),
      );
      const model = encodeModel(g, { outputs: { y: x } });
      // A host copy by design, and onnxruntime-web's WebGPU runs Identity on its CPU
      // provider: strictDevice's "no CPU fallback" does not apply to this session.
      const opts = this.sessionOptions();
      delete (opts.extra?.session as Record<string, unknown> | undefined)?.disable_cpu_ep_fallback;
      s = ort.InferenceSession.create(model, { ...opts, preferredOutputLocation: 'cpu' });
      this.downloaders.set(key, s);
    }
    const r = await (await s).run({ x: t });
    return Tensor.fromOrt(r.y);
  }
}

let nchwcBlock: Promise<number> | undefined;

/**
 * ORT's NCHWc block size on this CPU, 0 where its NCHWc kernels are missing: the channel
 * count ReorderInput pads 4 channels to (MLAS: 16 with AVX-512, 8 with AVX2, 1 without).
 */
function nchwcBlockSize(): Promise<number> {
  nchwcBlock ??= (async () => {
    const g = new Graph('nchwc_probe');
    const x = g.input('x', 'float32', [1, 4, 1, 1]);
    const [y] = g.emit(primitive('ReorderInput', { domain: 'com.microsoft.nchwc' }), [x], {}, [
      { dtype: 'float32', shape: [1, 'c', 1, 1] },
    ]);
    try {
      const s = await ort.InferenceSession.create(encodeModel(g, { outputs: { y } }));
      const r = await s.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      const block = r.y.dims[1];
      await s.release();
      return block >= 8 ? block : 0;
    } catch {
      return 0;
    }
  })();
  return nchwcBlock;
}

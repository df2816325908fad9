/**
 * The worker side of every family page: sets up the Runtime, runs training in short
 * chunks (so `stop`, `save` and view requests are answered between chunks and samples
 * refresh as training goes), and serializes all model work, since one ONNX Runtime
 * instance runs one thing at a time. A family supplies a {@link WorkerFamily}.
 */
import { type ModelFiles, modelFilesFromList, Runtime } from '@genmodels/runtime';
import { type OwnData, readOwnData } from './own-data.js';
import type {
  Device,
  FromWorker,
  ModelInfo,
  OwnDataSupport,
  PresetInfo,
  Series,
  ToWorker,
} from './protocol.js';

/** What a family's worker knows when it builds a model. */
export interface WorkerContext {
  rt: Runtime;
  /** Absolute URL base of the app's MNIST files (`${origin}${BASE_URL}mnist`). */
  dataUrl: string;
}

/** One trained-or-loaded model, driven by the host. */
export interface Trainer<V> {
  info(): ModelInfo;
  /** Train `steps` more steps; the points of each series (loss, ...) they produced. */
  train(steps: number): Promise<Series>;
  /** The pictures of the current model: when it is ready, every so often while it trains, and at stop. */
  views(when: 'ready' | 'training' | 'stopped'): Promise<V[]>;
  toFiles(): ModelFiles;
  /** True when the run is complete (e.g. a fine-tuning's set number of steps): training stops. */
  finished?(): boolean;
  /** Family-specific requests; `emit` sends views as they are made (e.g. streamed text). */
  action?(name: string, args: unknown, emit: (v: V) => void): Promise<void>;
}

export interface WorkerFamily<V> {
  presets: PresetInfo[];
  defaultPreset: string;
  create(ctx: WorkerContext, preset: string, seed: number, extra?: unknown): Promise<Trainer<V>>;
  /** A model from files; `names` are the file names (for the info line). */
  load(ctx: WorkerContext, files: ModelFiles, names: string[]): Promise<Trainer<V>>;
  /** Milliseconds between view refreshes while training (default 1500). */
  viewEveryMs?: number;
  /** Training on the user's own data (images, points): absent when the family has none. */
  ownData?: {
    /** Per kind: true, or why this page cannot train on it (shown to the user). */
    support: OwnDataSupport;
    /** A fresh model of `preset` on `data` (of a kind `support` allows). */
    create(ctx: WorkerContext, preset: string, seed: number, data: OwnData): Promise<Trainer<V>>;
  };
}

interface Scope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  crossOriginIsolated?: boolean;
}

/** Buffers of the typed arrays inside `v`, to transfer instead of copy. */
function buffers(v: unknown, out: Transferable[] = []): Transferable[] {
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer && !out.includes(v.buffer)) out.push(v.buffer);
  } else if (v && typeof v === 'object') for (const x of Object.values(v)) buffers(x, out);
  return out;
}

/** Aim for chunks of about this long, so the worker answers within a fraction of a second. */
const CHUNK_MS = 250;

/** Answer the page's messages for `family` (call once, at the top of the family's worker). */
export function serveFamily<V>(family: WorkerFamily<V>): void {
  const scope = globalThis as unknown as Scope;
  const post = (m: FromWorker<V>) => {
    const transfer = m.type === 'view' ? buffers(m.view) : [];
    scope.postMessage(m, transfer);
  };
  let ctx: WorkerContext | undefined;
  let trainer: Trainer<V> | undefined;
  /** The user's own data, once given: fresh models train on it until the page goes back to its own. */
  let own: OwnData | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  /** Id of the running training loop (0: none); stop sets 0, so the loop ends after its chunk. */
  let run = 0;
  let runs = 0;
  let chunk = 2;
  let lastView = 0;
  let viewCost = 0;
  const viewEvery = family.viewEveryMs ?? 1500;

  /** Run `job` after everything queued before it; errors go to the page. */
  const enqueue = (job: () => Promise<void>) => {
    queue = queue.then(job).catch((e: unknown) => {
      run = 0;
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      post({ type: 'state', state: 'idle' });
    });
    return queue;
  };
  const sendViews = async (when: 'ready' | 'training' | 'stopped') => {
    if (!trainer) return;
    for (const view of await trainer.views(when)) post({ type: 'view', view });
  };
  const ready = async (t: Trainer<V>) => {
    trainer = t;
    chunk = 2;
    post({ type: 'ready', info: t.info() });
    await sendViews('ready');
    post({ type: 'state', state: 'idle' });
  };

  const loop = async (id: number) => {
    if (id !== run || !trainer) return;
    const t0 = performance.now();
    const series = await trainer.train(chunk);
    const ms = performance.now() - t0;
    post({
      type: 'progress',
      step: trainer.info().step,
      series,
      stepsPerSec: (1000 * chunk) / Math.max(ms, 1),
    });
    chunk = Math.max(1, Math.min(500, Math.round((chunk * CHUNK_MS) / Math.max(ms, 1))));
    // Views recompile inference sessions after each fit: keep them to a quarter of the time
    // (it matters on slow devices, e.g. WebGPU on a software adapter).
    if (id === run && performance.now() - lastView > Math.max(viewEvery, 3 * viewCost)) {
      const v0 = performance.now();
      await sendViews('training');
      lastView = performance.now();
      viewCost = lastView - v0;
    }
    if (trainer.finished?.()) run = 0;
    // A macrotask between chunks, so that 'stop' and other messages get in.
    setTimeout(() => void enqueue(() => (id === run ? loop(id) : stopped())), 0);
  };
  const stopped = async () => {
    if (run !== 0) return; // a new loop has started meanwhile
    await sendViews('stopped');
    // The model as it now is (e.g. no longer trainable once a set number of steps is done).
    if (trainer) post({ type: 'info', info: trainer.info() });
    post({ type: 'state', state: 'idle' });
  };

  const handle = async (m: ToWorker) => {
    switch (m.type) {
      case 'init': {
        const rt = await Runtime.create({ device: m.device, wasmPaths: m.wasmPaths });
        ctx = { rt, dataUrl: m.dataUrl };
        post({
          type: 'hello',
          presets: family.presets,
          defaultPreset: family.defaultPreset,
          runtime: {
            device: m.device as Device,
            threads: rt.threads,
            crossOriginIsolated: scope.crossOriginIsolated === true,
          },
          ownData: family.ownData?.support ?? null,
        });
        return;
      }
      case 'create':
        run = 0;
        post({ type: 'state', state: 'busy' });
        await ready(
          own && family.ownData
            ? await family.ownData.create(need(ctx), m.preset, m.seed, own)
            : await family.create(need(ctx), m.preset, m.seed, m.extra),
        );
        return;
      case 'data': {
        run = 0;
        post({ type: 'state', state: 'busy' });
        if (!m.request) {
          own = null;
          await ready(await family.create(need(ctx), m.preset, m.seed));
          return;
        }
        const ownData = family.ownData;
        const ok = ownData?.support[m.request.kind];
        if (!ownData || ok !== true)
          throw new Error(
            typeof ok === 'string' ? ok : `this page does not train on your own data`,
          );
        // Read and build first: bad data leaves the current model (and data) as they were.
        const data = await readOwnData(m.request);
        const t = await ownData.create(need(ctx), m.preset, m.seed, data);
        own = data;
        await ready(t);
        return;
      }
      case 'load': {
        run = 0;
        post({ type: 'state', state: 'busy' });
        const files = modelFilesFromList(m.files);
        await ready(
          await family.load(
            need(ctx),
            files,
            m.files.map((f) => f.name),
          ),
        );
        return;
      }
      case 'train':
        if (!trainer || run !== 0) return;
        if (!trainer.info().trainable)
          throw new Error(trainer.info().note ?? 'this model cannot be trained here');
        run = ++runs;
        lastView = performance.now();
        post({ type: 'state', state: 'training' });
        await loop(run);
        return;
      case 'save': {
        if (!trainer) return;
        const files = Object.entries(trainer.toFiles()).map(([name, data]) => ({
          name,
          data: typeof data === 'string' ? data : new Uint8Array(data as Uint8Array),
        }));
        post({ type: 'files', files });
        return;
      }
      case 'action':
        if (!trainer?.action) return;
        await trainer.action(m.name, m.args, (view) => post({ type: 'view', view }));
        post({ type: 'info', info: trainer.info() });
        return;
    }
  };

  scope.addEventListener('message', (e: MessageEvent<ToWorker>) => {
    // 'stop' takes effect at once: the running chunk finishes, no new one starts.
    if (e.data.type === 'stop') run = 0;
    else void enqueue(() => handle(e.data));
  });
}

function need(ctx: WorkerContext | undefined): WorkerContext {
  if (!ctx) throw new Error('the worker got a model request before init');
  return ctx;
}

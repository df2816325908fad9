/**
 * The training loop: runs a compiled TrainStep over batches for a number of steps or
 * epochs, with LR schedules, progress events, periodic evaluation and cancellation.
 */
import { GenmodelsError } from '../errors.js';
import type { Schedule } from '../optim/schedule.js';
import type { Tensor } from '../tensor.js';
import type { TrainStep } from './train-step.js';

export type Batch = Readonly<Record<string, Tensor>>;
export type BatchSource = Iterable<Batch> | AsyncIterable<Batch>;

export interface ProgressEvent {
  /** Steps taken so far (including any before this fit, e.g. after resume). */
  step: number;
  /** 0-based epoch of the step just taken. */
  epoch: number;
  loss: number;
  metrics: Record<string, number>;
  /** Training throughput since the previous event. */
  samplesPerSec: number;
  /** Estimated seconds to the end, when the total number of steps is known. */
  eta: number | null;
}

export interface FitOptions {
  /** Stop after this many steps of this fit (default: run the epochs). */
  steps?: number;
  /** Passes over `data` (default 1 when `steps` is not given). `data` must be re-iterable. */
  epochs?: number;
  /** Learning rate: a number or a schedule of the global step (0-based). */
  lr: number | Schedule;
  /** Called every `progressEvery` steps (default 1) and after the last step. */
  onProgress?: (e: ProgressEvent) => void;
  progressEvery?: number;
  /** Called every `evalEvery` steps and at the end; its metrics are returned in `evals`. */
  evaluate?: (step: number) => Promise<Record<string, number>> | Record<string, number>;
  evalEvery?: number;
  /** Cancels between steps; the state keeps the last completed step. */
  signal?: AbortSignal;
}

export interface FitResult {
  steps: number;
  epochs: number;
  lastLoss: number;
  evals: { step: number; metrics: Record<string, number> }[];
  seconds: number;
}

function batchSize(b: Batch): number {
  const first = Object.values(b)[0];
  return first && first.rank > 0 ? first.shape[0] : 1;
}

/**
 * Train `step` on `data`.
 *
 * @example
 * await fit(step, loader, { epochs: 10, lr: cosine(1e-3, { totalSteps: 4690 }), onProgress: (e) => console.log(e.step, e.loss) });
 */
export async function fit(
  step: TrainStep,
  data: BatchSource,
  opts: FitOptions,
): Promise<FitResult> {
  const maxSteps = opts.steps ?? Number.POSITIVE_INFINITY;
  const epochs = opts.epochs ?? (opts.steps === undefined ? 1 : Number.POSITIVE_INFINITY);
  if (!(maxSteps > 0) || !(epochs > 0))
    throw new RangeError(`fit: steps (${opts.steps}) and epochs (${opts.epochs}) must be positive`);
  const every = opts.progressEvery ?? 1;
  const lrAt = typeof opts.lr === 'number' ? () => opts.lr as number : opts.lr;
  const lengthHint = (data as { length?: number }).length;
  const t0 = performance.now();
  let tEvent = t0;
  let samplesSinceEvent = 0;
  let taken = 0;
  let epoch = 0;
  let lastLoss = Number.NaN;
  let perEpoch: number | undefined = typeof lengthHint === 'number' ? lengthHint : undefined;
  const evals: FitResult['evals'] = [];
  const runEval = async () => {
    if (opts.evaluate) evals.push({ step: step.step, metrics: await opts.evaluate(step.step) });
  };

  for (; epoch < epochs && taken < maxSteps; epoch++) {
    let inEpoch = 0;
    for await (const batch of data) {
      opts.signal?.throwIfAborted();
      const r = await step.run(batch, { lr: lrAt(step.step) });
      taken++;
      inEpoch++;
      lastLoss = r.loss;
      samplesSinceEvent += batchSize(batch);
      const last = taken >= maxSteps;
      if (taken % every === 0 || last) {
        const now = performance.now();
        const total = Math.min(
          maxSteps,
          perEpoch !== undefined ? perEpoch * epochs : Number.POSITIVE_INFINITY,
        );
        const rate = (now - t0) / taken;
        opts.onProgress?.({
          step: r.step,
          epoch,
          loss: r.loss,
          metrics: r.metrics,
          samplesPerSec: (1000 * samplesSinceEvent) / Math.max(now - tEvent, 1e-3),
          eta: Number.isFinite(total) ? ((total - taken) * rate) / 1000 : null,
        });
        tEvent = now;
        samplesSinceEvent = 0;
      }
      if (opts.evalEvery && taken % opts.evalEvery === 0) await runEval();
      if (last) break;
    }
    if (inEpoch === 0) {
      throw new GenmodelsError(
        `fit: the data source yielded no batches in epoch ${epoch}; pass a re-iterable source (an array or a DataLoader), not a one-shot generator`,
      );
    }
    perEpoch ??= inEpoch;
  }
  if (!opts.evalEvery || taken % opts.evalEvery !== 0) await runEval();
  return { steps: taken, epochs: epoch, lastLoss, evals, seconds: (performance.now() - t0) / 1000 };
}

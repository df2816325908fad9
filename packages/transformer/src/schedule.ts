/**
 * The training run the GPT and the seq2seq model share: a fixed number of steps on the
 * config's warmup + cosine learning rate, progress that adds `lr` and the model's rate,
 * and an evaluation every `evalEvery` steps.
 */
import {
  type Batch,
  cosine,
  type FitResult,
  fit as fitSteps,
  type ProgressEvent,
  type TrainStep,
} from '@genmodels/runtime';

/** The options of a scheduled run (the models' fit options share them). */
export interface ScheduledFitOptions {
  /** Training steps (default: the config's `steps`). */
  steps?: number;
  /** Horizon of the cosine decay (default: steps taken before plus `steps`). */
  totalSteps?: number;
  onProgress?: (e: ProgressEvent) => void;
  progressEvery?: number;
  evalEvery?: number;
  signal?: AbortSignal;
}

/** What the model gives a scheduled run. */
export interface ScheduledRun {
  /** The config's schedule and default length. */
  cfg: { lr: number; warmupSteps: number; minLr: number; steps: number };
  /** The next training batch. */
  next: () => Batch;
  /** The rate metrics of a progress event (e.g. tokens per second). */
  rate: (e: ProgressEvent) => Record<string, number>;
  /** Metrics every `evalEvery` steps (and at the end, when `evalEvery` is set). */
  evaluate: (step: number) => Promise<Record<string, number>>;
}

/** Run `step` for `opts.steps` batches from `run.next` on the warmup + cosine schedule. */
export function scheduledFit(
  step: TrainStep,
  run: ScheduledRun,
  opts: ScheduledFitOptions,
): Promise<FitResult> {
  const { cfg } = run;
  const steps = opts.steps ?? cfg.steps;
  const total = opts.totalSteps ?? step.step + steps;
  const lr = cosine(cfg.lr, {
    warmupSteps: cfg.warmupSteps,
    totalSteps: Math.max(total, cfg.warmupSteps + 1),
    minLr: cfg.minLr,
  });
  const batches = {
    length: steps,
    *[Symbol.iterator]() {
      for (let i = 0; i < steps; i++) yield run.next();
    },
  };
  const { onProgress } = opts;
  return fitSteps(step, batches, {
    steps,
    lr,
    signal: opts.signal,
    progressEvery: opts.progressEvery,
    onProgress:
      onProgress &&
      ((e) => onProgress({ ...e, metrics: { ...e.metrics, lr: lr(e.step - 1), ...run.rate(e) } })),
    evalEvery: opts.evalEvery,
    evaluate: opts.evalEvery ? run.evaluate : undefined,
  });
}

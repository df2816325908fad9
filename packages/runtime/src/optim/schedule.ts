/**
 * Learning-rate schedules: host-side functions of the 0-based iteration number (the
 * number of updates taken so far). The train step takes the learning rate as a graph
 * input, so changing it never recompiles.
 */
export type Schedule = (iteration: number) => number;

function checkLr(name: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!(v >= 0 && Number.isFinite(v)))
      throw new RangeError(`${name}: ${k} must be a finite number >= 0, got ${v}`);
  }
}

/**
 * The same learning rate at every iteration.
 *
 * @example constant(3e-4)(1000)   // 3e-4
 */
export function constant(lr: number): Schedule {
  checkLr('constant', { lr });
  return () => lr;
}

/** nanoGPT's warmup: lr * (it + 1) / (warmupSteps + 1), so the first step is not 0. */
const warm = (lr: number, warmupSteps: number, it: number) => (lr * (it + 1)) / (warmupSteps + 1);

/**
 * Linear warmup over the first `warmupSteps` iterations (lr * (it + 1) / (warmupSteps + 1)),
 * then constant `lr`.
 *
 * @example linearWarmup(1e-3, 9)(0)   // 1e-4
 */
export function linearWarmup(lr: number, warmupSteps: number): Schedule {
  checkLr('linearWarmup', { lr, warmupSteps });
  return (it) => (it < warmupSteps ? warm(lr, warmupSteps, it) : lr);
}

/**
 * nanoGPT's get_lr: linear warmup as `linearWarmup`, then cosine decay from `lr` at
 * `warmupSteps` to `minLr` (default 0) at `totalSteps`, and `minLr` after that.
 *
 * @example cosine(1e-3, { warmupSteps: 100, totalSteps: 1100, minLr: 1e-4 })(600)   // 5.5e-4
 */
export function cosine(
  lr: number,
  opts: { warmupSteps?: number; totalSteps: number; minLr?: number },
): Schedule {
  const { warmupSteps = 0, totalSteps, minLr = 0 } = opts;
  checkLr('cosine', { lr, warmupSteps, totalSteps, minLr });
  if (!(totalSteps > warmupSteps)) {
    throw new RangeError(
      `cosine: totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps})`,
    );
  }
  return (it) => {
    if (it < warmupSteps) return warm(lr, warmupSteps, it);
    if (it > totalSteps) return minLr;
    const ratio = (it - warmupSteps) / (totalSteps - warmupSteps);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (lr - minLr);
  };
}

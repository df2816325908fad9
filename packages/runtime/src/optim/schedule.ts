/**
 * Learning-rate schedules: host-side functions of the 0-based iteration number. The
 * train step takes the learning rate as a graph input, so changing it never recompiles.
 */
export type Schedule = (iteration: number) => number;

/** The same learning rate every step. */
export function constant(lr: number): Schedule {
  return () => lr;
}

/** Linear warmup from lr / (warmupSteps + 1) to lr over `warmupSteps`, then constant. */
export function linearWarmup(lr: number, warmupSteps: number): Schedule {
  return (it) => (it < warmupSteps ? (lr * (it + 1)) / (warmupSteps + 1) : lr);
}

/**
 * Linear warmup, then cosine decay to `minLr` at `totalSteps` (nanoGPT's get_lr).
 *
 * @example const lrAt = cosine(1e-3, { warmupSteps: 100, totalSteps: 5000, minLr: 1e-4 });
 */
export function cosine(
  lr: number,
  opts: { warmupSteps?: number; totalSteps: number; minLr?: number },
): Schedule {
  const { warmupSteps = 0, totalSteps, minLr = 0 } = opts;
  if (!(totalSteps > warmupSteps)) {
    throw new RangeError(
      `cosine: totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps})`,
    );
  }
  return (it) => {
    if (it < warmupSteps) return (lr * (it + 1)) / (warmupSteps + 1);
    if (it > totalSteps) return minLr;
    const ratio = (it - warmupSteps) / (totalSteps - warmupSteps);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (lr - minLr);
  };
}

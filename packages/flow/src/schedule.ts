/** The learning-rate schedule of the family's runs. */
import { cosine } from '@genmodels/runtime';

/** The family's learning rate: a warm-up of up to 100 steps (a tenth of the run), then cosine decay to 0. */
export function schedule(lr: number, total: number): ReturnType<typeof cosine> {
  const warmupSteps = Math.min(100, Math.floor(total / 10));
  return cosine(lr, { warmupSteps, totalSteps: Math.max(total, warmupSteps + 1) });
}

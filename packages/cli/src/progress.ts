/**
 * Training progress: a cli-progress bar (loss, samples/s, ETA) on a terminal, plain
 * throttled lines otherwise (CI logs, pipes, tests).
 */
import type { ProgressEvent } from '@genmodels/runtime';
import cliProgress from 'cli-progress';

/** A place to write text; `isTTY` selects the bar. */
export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Receives the family's progress events; `done` ends the bar (or prints a final line). */
export interface ProgressReporter {
  update(e: ProgressEvent & { total: number | null }): void;
  done(): void;
}

/** Seconds as `1m05s` / `42s`. */
export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  const r = Math.max(0, Math.round(s));
  return r >= 60 ? `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s` : `${r}s`;
}

/** One plain progress line: `step 10/100  epoch 1  loss 123.4567  2048 samples/s  ETA 12s`. */
export function progressLine(e: ProgressEvent & { total: number | null }): string {
  const steps = e.total ? `${e.step}/${e.total}` : `${e.step}`;
  return (
    `step ${steps}  epoch ${e.epoch + 1}  loss ${e.loss.toFixed(4)}  ` +
    `${Math.round(e.samplesPerSec)} samples/s  ETA ${formatSeconds(e.eta)}`
  );
}

/** Plain lines: the first event, then at most one line every `intervalMs`, and the last one. */
function plainReporter(out: OutStream, intervalMs: number): ProgressReporter {
  let last = Number.NEGATIVE_INFINITY;
  let pending: string | null = null;
  return {
    update(e) {
      const now = Date.now();
      const line = progressLine(e);
      if (now - last >= intervalMs || (e.total !== null && e.step >= e.total)) {
        out.write(`${line}\n`);
        last = now;
        pending = null;
      } else {
        pending = line;
      }
    },
    done() {
      if (pending) out.write(`${pending}\n`);
      pending = null;
    },
  };
}

/** The terminal bar; an unknown total shows a counter instead of a bar. */
function barReporter(out: OutStream): ProgressReporter {
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(e) {
      const payload = {
        loss: e.loss.toFixed(4),
        sps: Math.round(e.samplesPerSec),
        epoch: e.epoch + 1,
      };
      if (!bar) {
        const format = e.total
          ? 'train |{bar}| {value}/{total} steps | epoch {epoch} | loss {loss} | {sps} samples/s | ETA {eta_formatted}'
          : 'train | step {value} | epoch {epoch} | loss {loss} | {sps} samples/s';
        bar = new cliProgress.SingleBar(
          { format, stream: out as NodeJS.WritableStream, hideCursor: true, etaBuffer: 20 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(e.total ?? 0, e.step, payload);
      } else {
        bar.update(e.step, payload);
      }
    },
    done() {
      bar?.stop();
      bar = null;
    },
  };
}

/**
 * A reporter for `out`: the bar when it is a TTY, else plain lines every `intervalMs`.
 *
 * @example
 * const p = createProgress(process.stdout);
 * await family.train(rt, { preset, onProgress: (e) => p.update(e) });
 * p.done();
 */
export function createProgress(out: OutStream, intervalMs = 2000): ProgressReporter {
  return out.isTTY ? barReporter(out) : plainReporter(out, intervalMs);
}

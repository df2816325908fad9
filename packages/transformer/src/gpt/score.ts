/**
 * Validation losses: per-token next-character losses from a compiled scoring graph, over
 * random windows (nanoGPT's estimate) or over a whole stream with every token scored once.
 */
import {
  type Executable,
  type InferenceFn,
  type InputSpecs,
  ops,
  Rng,
  type Tensor,
} from '@genmodels/runtime';
import type { GptConfig } from './config.js';
import { scoringWindows, type TokenizedCorpus } from './data.js';
import { idsTensor, positionsTensor } from './decoder.js';
import { GptError } from './errors.js';
import type { GptNetwork } from './network.js';

/** Inputs of the scoring graph: windows, their positions and next-token targets, int64 [batch, seq]. */
export const SCORER_INPUTS: InputSpecs = {
  input_ids: { dtype: 'int64', shape: ['batch', 'seq'] },
  position_ids: { dtype: 'int64', shape: ['batch', 'seq'] },
  targets: { dtype: 'int64', shape: ['batch', 'seq'] },
};

/** Per-token cross-entropy in nats, [batch, seq]. */
export function scorerFn(net: GptNetwork): InferenceFn {
  return (i) =>
    ops.crossEntropy(net.call(i.input_ids, i.position_ids).logits, i.targets, {
      reduction: 'none',
    });
}

/** Per-token losses [rows * len] of windows x (int64 [rows, len]) with targets y. */
async function tokenLosses(exe: Executable, x: Tensor, y: Tensor): Promise<Float32Array> {
  const [rows, len] = x.shape;
  const out = await exe.runHost({
    input_ids: x,
    position_ids: positionsTensor(rows, len, 0),
    targets: y,
  });
  return out.output.data as Float32Array;
}

/** Mean loss over `batches` x `batchSize` random windows of min(blockSize, length - 1) tokens. */
export async function randomWindowLoss(
  exe: Executable,
  cfg: GptConfig,
  val: TokenizedCorpus,
  o: { seed: number; batches: number; batchSize: number },
): Promise<number> {
  const len = Math.min(cfg.blockSize, val.length - 1);
  const rng = new Rng(o.seed);
  let sum = 0;
  let count = 0;
  for (let k = 0; k < o.batches; k++) {
    const { x, y } = val.randomBatch(rng, o.batchSize, len);
    for (const v of await tokenLosses(exe, x, y)) sum += v;
    count += o.batchSize * len;
  }
  return sum / count;
}

/** Mean loss over every token of `ids` once (windows of scoringWindows, default stride blockSize / 4). */
export async function streamLoss(
  exe: Executable,
  cfg: GptConfig,
  ids: Int32Array,
  opts: { stride?: number; batchSize?: number } = {},
): Promise<{ loss: number; tokens: number }> {
  const len = Math.min(cfg.blockSize, ids.length - 1);
  if (len < 1)
    throw new GptError(`the validation stream has ${ids.length} tokens; expected at least 2`);
  const stride = Math.min(len, opts.stride ?? Math.max(1, Math.floor(cfg.blockSize / 4)));
  const windows = scoringWindows(ids.length, len, stride);
  const bs = opts.batchSize ?? cfg.batchSize;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < windows.length; i += bs) {
    const group = windows.slice(i, i + bs);
    const xs = group.map((w) => Array.from(ids.subarray(w.start, w.start + len)));
    const ys = group.map((w) => Array.from(ids.subarray(w.start + 1, w.start + len + 1)));
    const nll = await tokenLosses(exe, idsTensor(xs), idsTensor(ys));
    group.forEach((w, r) => {
      for (let t = w.first; t < len; t++) sum += nll[r * len + t];
      count += len - w.first;
    });
  }
  return { loss: sum / count, tokens: count };
}

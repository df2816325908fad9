/**
 * The inference graphs over a Seq2seqNetwork, with dynamic batch and lengths:
 *
 * - `model`: `src` int64 [batch, src_len] (PAD = 0 after each source), `tgt_in` int64
 *   [batch, tgt_len] (BOS, target, PAD...) -> `logits` float32 [batch, tgt_len, vocab];
 * - `encoder`: `src` -> `memory` float32 [batch, src_len, d_model];
 * - `decoder`: `memory`, `src` (for its padding mask), `tgt_in` -> `logits`.
 *
 * The source padding mask (src == PAD) and the causal mask are built inside the graphs.
 */
import { type InferenceFn, type InputSpecs, Tensor } from '@genmodels/runtime';
import type { Seq2seqConfig } from './config.js';
import { Seq2seqModelError } from './errors.js';
import { PAD, type Seq2seqNetwork } from './network.js';

/** Names of the exportable / compiled graphs, the default first. */
export const SEQ2SEQ_PARTS = ['model', 'encoder', 'decoder'] as const;
export type Seq2seqPart = (typeof SEQ2SEQ_PARTS)[number];

const SRC = { dtype: 'int64', shape: ['batch', 'src_len'] } as const;
const TGT = { dtype: 'int64', shape: ['batch', 'tgt_len'] } as const;

/** Input specs of `part`. */
export function partInputs(cfg: Seq2seqConfig, part: Seq2seqPart): InputSpecs {
  if (part === 'model') return { src: SRC, tgt_in: TGT };
  if (part === 'encoder') return { src: SRC };
  return {
    memory: { dtype: 'float32', shape: ['batch', 'src_len', cfg.dModel] },
    src: SRC,
    tgt_in: TGT,
  };
}

/** The traced function of `part`. */
export function partFn(net: Seq2seqNetwork, part: Seq2seqPart): InferenceFn {
  if (part === 'model') return (i) => ({ logits: net.call(i.src, i.tgt_in) });
  if (part === 'encoder') return (i) => ({ memory: net.encode(i.src) });
  return (i) => ({ logits: net.decode(i.memory, i.src, i.tgt_in) });
}

/** A part name from user input, or an error listing the parts. */
export function checkPart(part: string): Seq2seqPart {
  if (!(SEQ2SEQ_PARTS as readonly string[]).includes(part))
    throw new Seq2seqModelError(
      `unknown seq2seq part '${part}'; expected one of ${SEQ2SEQ_PARTS.join(', ')}`,
    );
  return part as Seq2seqPart;
}

/** int64 [rows, len]: each row's ids, then PAD (len defaults to the longest row). */
export function padIds(rows: readonly ArrayLike<number>[], len?: number): Tensor<'int64'> {
  const L = len ?? Math.max(1, ...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * L).fill(BigInt(PAD));
  rows.forEach((r, b) => {
    for (let t = 0; t < r.length; t++) data[b * L + t] = BigInt(r[t]);
  });
  return new Tensor('int64', [rows.length, L], data);
}

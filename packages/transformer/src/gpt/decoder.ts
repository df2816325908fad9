/**
 * The decoder graph shared by generation, scoring and ONNX export, in the common layout
 * of decoder-only models with a KV cache:
 *
 * - inputs `input_ids` int64 [batch, seq], `position_ids` int64 [batch, seq] (absolute
 *   positions: past_seq + 0 .. past_seq + seq - 1, each < blockSize),
 *   `past_key_values.{i}.key` / `.value` float32 [batch, n_head, past_seq, head_dim]
 *   (past_seq may be 0);
 * - outputs `logits` float32 [batch, seq, vocab], `present.{i}.key` / `.value`
 *   float32 [batch, n_head, past_seq + seq, head_dim].
 *
 * The causal mask is built at run time from the actual lengths, so one model serves a
 * prefill (seq = prompt length, past_seq = 0) and each one-token step.
 */
import {
  type Executable,
  type InferenceFn,
  type InputSpecs,
  type KeyValueCache,
  Tensor,
} from '@genmodels/runtime';
import type { GptConfig } from './config.js';
import type { GptNetwork } from './network.js';

/** Input specs of the decoder graph. */
export function decoderInputs(cfg: GptConfig): InputSpecs {
  const dh = cfg.nEmbd / cfg.nHead;
  const specs: Record<string, InputSpecs[string]> = {
    input_ids: { dtype: 'int64', shape: ['batch', 'seq'] },
    position_ids: { dtype: 'int64', shape: ['batch', 'seq'] },
  };
  for (let i = 0; i < cfg.nLayer; i++) {
    for (const kv of ['key', 'value'])
      specs[`past_key_values.${i}.${kv}`] = {
        dtype: 'float32',
        shape: ['batch', cfg.nHead, 'past_seq', dh],
      };
  }
  return specs;
}

/** The traced decoder function over `net` (outputs logits and present.{i}.key/value). */
export function decoderFn(net: GptNetwork): InferenceFn {
  return (i) => {
    const past: KeyValueCache[] = net.h.map((_, l) => ({
      key: i[`past_key_values.${l}.key`],
      value: i[`past_key_values.${l}.value`],
    }));
    const out = net.call(i.input_ids, i.position_ids, past);
    const outputs: Record<string, (typeof out)['logits']> = { logits: out.logits };
    out.present.forEach((c, l) => {
      outputs[`present.${l}.key`] = c.key;
      outputs[`present.${l}.value`] = c.value;
    });
    return outputs;
  };
}

/** int64 [rows, len] from equal-length rows of ids. */
export function idsTensor(rows: readonly (readonly number[])[]): Tensor<'int64'> {
  const len = rows[0].length;
  const data = new BigInt64Array(rows.length * len);
  rows.forEach((r, b) => {
    for (let t = 0; t < len; t++) data[b * len + t] = BigInt(r[t]);
  });
  return new Tensor('int64', [rows.length, len], data);
}

/** int64 [rows, len]: positions from0 .. from0 + len - 1 in every row. */
export function positionsTensor(rows: number, len: number, from0: number): Tensor<'int64'> {
  const data = new BigInt64Array(rows * len);
  for (let b = 0; b < rows; b++)
    for (let t = 0; t < len; t++) data[b * len + t] = BigInt(from0 + t);
  return new Tensor('int64', [rows, len], data);
}

/** Per-layer caches as the flat list [0.key, 0.value, 1.key, ...]. */
export type Cache = Tensor[];

/** One call of the compiled decoder: the last position's logits per row and the new cache. */
export async function runDecoder(
  exe: Executable,
  cfg: GptConfig,
  rows: readonly (readonly number[])[],
  from0: number,
  past: Cache | null,
): Promise<{ last: Float32Array[]; present: Cache }> {
  const b = rows.length;
  const len = rows[0].length;
  const dh = cfg.nEmbd / cfg.nHead;
  const feeds: Record<string, Tensor> = {
    input_ids: idsTensor(rows),
    position_ids: positionsTensor(b, len, from0),
  };
  for (let l = 0; l < cfg.nLayer; l++) {
    feeds[`past_key_values.${l}.key`] = past?.[2 * l] ?? Tensor.zeros([b, cfg.nHead, 0, dh]);
    feeds[`past_key_values.${l}.value`] = past?.[2 * l + 1] ?? Tensor.zeros([b, cfg.nHead, 0, dh]);
  }
  const out = await exe.runHost(feeds);
  const v = cfg.vocabSize;
  const logits = out.logits.data as Float32Array;
  const last = Array.from({ length: b }, (_, r) =>
    logits.slice((r * len + len - 1) * v, (r * len + len) * v),
  );
  const present: Cache = [];
  for (let l = 0; l < cfg.nLayer; l++)
    present.push(out[`present.${l}.key`], out[`present.${l}.value`]);
  return { last, present };
}

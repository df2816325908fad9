/**
 * GPT-2 checkpoints in and out of GptNetwork: a Hugging Face model directory
 * (model.safetensors in GPT-2 names, config.json, optionally the tokenizer's vocab.json and
 * merges.txt) read into a network, and a network written back in GPT-2 names, strictly
 * both ways (see gpt2-format.ts for the table).
 */
import {
  decodeSafetensors,
  encodeSafetensors,
  loadMappedStateDict,
  type ModelSource,
  mappedStateDict,
  Rng,
  type Tensor,
} from '@genmodels/runtime';
import {
  describeModelSource,
  joinPath,
  makeDir,
  parseJsonObject,
  readSourceFile,
  writeFileAtomic,
} from '@genmodels/runtime/internal';
import type { BpeTokenizer } from '../bpe/index.js';
import { type GptConfig, resolveGptConfig } from './config.js';
import { GptError } from './errors.js';
import { type Gpt2HfConfig, gpt2Architecture, gpt2Format, gpt2HfConfig } from './gpt2-format.js';
import { GptNetwork } from './network.js';

/** Options of {@link gpt2Network} and {@link readGpt2}. */
export interface Gpt2LoadOptions {
  /** Attention heads: needed when there is no config.json with `n_head` (else must agree). */
  nHead?: number;
  /** Training fields of the GPT config (lr, batchSize, steps, ...) over the defaults. */
  training?: Partial<GptConfig>;
}

/** A GPT-2 checkpoint read into a network. */
export interface Gpt2Model {
  net: GptNetwork;
  cfg: GptConfig;
  /** config.json as read (null without one); give it to the save functions to keep its other fields. */
  hfConfig: Gpt2HfConfig | null;
  /** The file had `lm_head.weight` (for a tied head: a copy of the embedding). */
  lmHeadInFile: boolean;
}

/** A GPT-2 model directory read by {@link readGpt2}: the network and the tokenizer's files. */
export interface Gpt2Directory extends Gpt2Model {
  /** vocab.json and merges.txt as text, when the directory has both (GPT-2's BPE tokenizer). */
  tokenizer: { vocab: string; merges: string } | null;
}

/** Options of the save functions. */
export interface Gpt2SaveOptions {
  /** Write `lm_head.weight` even when it is tied (a copy of the embedding); default false, as save_pretrained. */
  lmHead?: boolean;
  /** config.json fields to keep (e.g. {@link Gpt2Model.hfConfig}); the architecture's are written over them. */
  config?: Gpt2HfConfig | null;
}

/** GPT2Model files (openai-community/gpt2's) name tensors without `transformer.`: add it. */
function withTransformerPrefix(tensors: Record<string, Tensor>): Record<string, Tensor> {
  if ('transformer.wte.weight' in tensors || !('wte.weight' in tensors)) return tensors;
  return Object.fromEntries(
    Object.entries(tensors).map(([k, t]) => [k.startsWith('lm_head.') ? k : `transformer.${k}`, t]),
  );
}

/**
 * A GptNetwork holding a GPT-2 state dict (GPT-2 names; GPT2Model's unprefixed names too),
 * its config inferred from the tensors and `hfConfig` (see gpt2Architecture). `where` names
 * the checkpoint in messages.
 *
 * @throws GptError for an unsupported or inconsistent config; StateDictKeyError listing every
 *   missing and unexpected tensor (GPT-2 names); ShapeError naming every tensor of the wrong shape.
 *
 * @example const { net, cfg } = gpt2Network(decodeSafetensors(bytes).tensors, config, { nHead: 12 });
 */
export function gpt2Network(
  tensors: Record<string, Tensor>,
  hfConfig: Gpt2HfConfig | null,
  opts: Gpt2LoadOptions = {},
  where = 'GPT-2 checkpoint',
): Gpt2Model {
  const named = withTransformerPrefix(tensors);
  const arch = gpt2Architecture(named, hfConfig, opts.nHead, where);
  let cfg: GptConfig;
  try {
    cfg = resolveGptConfig({ ...opts.training, ...arch });
  } catch (e) {
    throw new GptError(`${where}: ${(e as Error).message}`);
  }
  const net = new GptNetwork(cfg, new Rng(0));
  loadMappedStateDict(net, gpt2Format(cfg.tieEmbeddings === true), named);
  return { net, cfg, hfConfig, lmHeadInFile: 'lm_head.weight' in named };
}

const fail = (m: string) => new GptError(m);

/** One file of `source` as bytes, or null when absent. */
function readFile(source: ModelSource, name: string): Promise<Uint8Array | null> {
  return readSourceFile(source, name, fail);
}

function parseConfigJson(bytes: Uint8Array, where: string): Gpt2HfConfig {
  return parseJsonObject(bytes, where, 'GPT-2 config fields', fail) as Gpt2HfConfig;
}

/**
 * Read a GPT-2 model directory (a path on Node.js, a URL base in browsers, or its files):
 * model.safetensors, config.json (optional when `opts.nHead` is given), and vocab.json +
 * merges.txt when present.
 *
 * @example const { net, cfg, tokenizer } = await readGpt2('models/gpt2-small');
 */
export async function readGpt2(
  source: ModelSource,
  opts: Gpt2LoadOptions = {},
): Promise<Gpt2Directory> {
  const where = describeModelSource(source);
  const model = await readFile(source, 'model.safetensors');
  if (!model) throw new GptError(`${where}: no model.safetensors (a GPT-2 checkpoint) found`);
  const config = await readFile(source, 'config.json');
  const hf = config && parseConfigJson(config, where);
  const file = typeof source === 'string' ? joinPath(source, 'model.safetensors') : undefined;
  const { tensors } = decodeSafetensors(model, file);
  const loaded = gpt2Network(tensors, hf, opts, where);
  const [vocab, merges] = await Promise.all(
    ['vocab.json', 'merges.txt'].map((n) => readFile(source, n)),
  );
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const tokenizer = vocab && merges ? { vocab: text(vocab), merges: text(merges) } : null;
  return { ...loaded, tokenizer };
}

/**
 * `net`'s state dict in GPT-2 names and layouts (Conv1D weights [in, out]); a tied head is
 * left out unless `opts.lmHead`.
 *
 * @example const tensors = gpt2StateDict(net);   // { 'transformer.wte.weight': ..., ... }
 */
export function gpt2StateDict(net: GptNetwork, opts: Gpt2SaveOptions = {}): Record<string, Tensor> {
  return mappedStateDict(net, gpt2Format(net.cfg.tieEmbeddings === true), {
    tiedCopies: opts.lmHead ?? false,
  });
}

/**
 * A GPT-2 model directory's files for `net`, as bytes and text (no file system):
 * model.safetensors (GPT-2 names, metadata `format: pt`) and config.json.
 *
 * @example const files = encodeGpt2Files(net, { config: loaded.hfConfig });
 */
export function encodeGpt2Files(
  net: GptNetwork,
  opts: Gpt2SaveOptions = {},
): { 'model.safetensors': Uint8Array; 'config.json': string } {
  return {
    'model.safetensors': encodeSafetensors(gpt2StateDict(net, opts), { format: 'pt' }),
    'config.json': `${JSON.stringify(gpt2HfConfig(net.cfg, opts.config), null, 2)}\n`,
  };
}

/**
 * Write `net` into `dir` as a GPT-2 model directory (Node.js): what
 * `GPT2LMHeadModel.from_pretrained(dir)` and {@link readGpt2} read.
 *
 * @example await writeGpt2Dir('out/gpt2-tuned', net, { config: loaded.hfConfig });
 */
export async function writeGpt2Dir(
  dir: string,
  net: GptNetwork,
  opts: Gpt2SaveOptions = {},
): Promise<void> {
  const files = encodeGpt2Files(net, opts);
  try {
    await makeDir(dir);
    for (const [name, data] of Object.entries(files))
      await writeFileAtomic(joinPath(dir, name), data);
  } catch (e) {
    throw new GptError(`cannot write the GPT-2 model into '${dir}': ${(e as Error).message}`);
  }
}

/**
 * GPT-2's tokenizer files for `tok`: vocab.json (token -> id) and merges.txt (merges in rank
 * order under a `#version` line), as `BpeTokenizer.fromGpt2Files` and Hugging Face read them.
 */
export function gpt2TokenizerFiles(tok: BpeTokenizer): {
  'vocab.json': string;
  'merges.txt': string;
} {
  const json = tok.toJSON();
  const vocab: Record<string, number> = {};
  json.tokens.forEach((t, id) => {
    if (t !== null) vocab[t] = id;
  });
  return {
    'vocab.json': JSON.stringify(vocab),
    'merges.txt': `#version: 0.2\n${json.merges.map((m) => `${m}\n`).join('')}`,
  };
}

/** Write {@link gpt2TokenizerFiles} into `dir` (Node.js). */
export async function writeGpt2Tokenizer(dir: string, tok: BpeTokenizer): Promise<void> {
  try {
    await makeDir(dir);
    for (const [name, text] of Object.entries(gpt2TokenizerFiles(tok)))
      await writeFileAtomic(joinPath(dir, name), text);
  } catch (e) {
    throw new GptError(`cannot write the GPT-2 tokenizer into '${dir}': ${(e as Error).message}`);
  }
}

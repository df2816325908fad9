/**
 * LoRA adapters in PEFT's files: `adapter_model.safetensors` with keys
 * `base_model.model.<module path>.lora_A.weight` / `.lora_B.weight`, and
 * `adapter_config.json` (`peft_type: 'LORA'`, r, lora_alpha, lora_dropout, target_modules,
 * ...), so adapters trained here load with `PeftModel.from_pretrained` and the other way
 * round. The module path of a weight is its key in the base model's checkpoint convention
 * (an optional {@link KeyFormat}, e.g. GPT-2's maps `h.0.attn.in_proj_weight` to
 * `transformer.h.0.attn.c_attn.weight`) without `.weight`.
 */
import { joinPath, makeDir, readBytes, writeFileAtomic } from '#platform';
import { CheckpointError, LoraError, StateDictKeyError } from '../errors.js';
import type { LoraAdapters } from '../nn/lora.js';
import type { Tensor } from '../tensor.js';
import { fillKey, type KeyFormat, matchKey } from './key-format.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** PEFT's adapter weights file name. */
export const LORA_MODEL_FILE = 'adapter_model.safetensors';
/** PEFT's adapter config file name. */
export const LORA_CONFIG_FILE = 'adapter_config.json';

export interface LoraFileOptions {
  /** The base model's key format; without one our key minus `.weight` is the module path. */
  format?: KeyFormat;
  /** PEFT's `task_type` (e.g. 'CAUSAL_LM'); default null. */
  taskType?: string;
  /** PEFT's `base_model_name_or_path` (e.g. 'gpt2'); default null. */
  baseModel?: string;
}

/** The two files' contents: safetensors bytes and the config's JSON text. */
export interface LoraFileData {
  model: Uint8Array;
  config: string;
}

/** PEFT's adapter_config.json fields that this runtime writes and checks. */
export interface LoraConfigJson {
  peft_type: 'LORA';
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[];
  bias: 'none';
  fan_in_fan_out: boolean;
  task_type: string | null;
  base_model_name_or_path: string | null;
  inference_mode: boolean;
}

/** A weight key's module path in the base model's convention, and whether it is stored [in, out]. */
function modulePath(key: string, format?: KeyFormat): { path: string; transposed: boolean } {
  if (!format) return { path: key.replace(/\.weight$/, ''), transposed: false };
  for (const c of format.rules) {
    const i = c.target.findIndex((p) => matchKey(p, key));
    if (i < 0) continue;
    const rule = c.rule;
    const oneToOne = rule.kind === 'tie' || (c.source.length === 1 && c.target.length === 1);
    const source = fillKey(c.source[0], matchKey(c.target[i], key)!);
    if (rule.kind === 'ignore' || !oneToOne || !source.endsWith('.weight'))
      throw new LoraError(
        `LoRA files: '${key}' is '${source}' in ${format.name}, not one module's weight, so PEFT has no module path for its adapter`,
      );
    return {
      path: source.slice(0, -'.weight'.length),
      transposed: rule.kind === 'map' && rule.transpose === true,
    };
  }
  throw new LoraError(`LoRA files: ${format.name} has no name for '${key}'`);
}

/** PEFT key -> our key, for every adapter tensor; and the config's layout flag. */
function peftKeys(adapters: LoraAdapters, format?: KeyFormat) {
  const keys = new Map<string, string>();
  const paths: string[] = [];
  const transposed = new Set<boolean>();
  for (const key of adapters.targets) {
    const m = modulePath(key, format);
    paths.push(m.path);
    transposed.add(m.transposed);
    for (const ab of ['lora_A', 'lora_B'])
      keys.set(`base_model.model.${m.path}.${ab}.weight`, `${key}.${ab}`);
  }
  if (transposed.size > 1)
    throw new LoraError(
      `LoRA files: PEFT's fan_in_fan_out is one flag, but ${format?.name} stores some targets [in, out] and some [out, in] (${adapters.targets.join(', ')})`,
    );
  const modules = [...new Set(paths.map((p) => p.slice(p.lastIndexOf('.') + 1)))];
  return { keys, modules, fanInFanOut: transposed.has(true) };
}

/**
 * The adapters as PEFT's two files (bytes and JSON text), for browsers or custom storage.
 * lora_A / lora_B keep nn.Linear's layout ([r, in], [out, r]) also for a Conv1D base
 * (GPT-2), where the config says fan_in_fan_out: true, as PEFT writes them.
 *
 * @throws LoraError when a target has no PEFT module path (a fused or split weight in `format`).
 */
export function encodeLoraAdapters(
  adapters: LoraAdapters,
  opts: LoraFileOptions = {},
): LoraFileData {
  const { keys, modules, fanInFanOut } = peftKeys(adapters, opts.format);
  const ours = adapters.stateDict();
  const tensors: Record<string, Tensor> = {};
  for (const [peft, key] of keys) tensors[peft] = ours[key];
  const config: LoraConfigJson = {
    peft_type: 'LORA',
    r: adapters.rank,
    lora_alpha: adapters.alpha,
    lora_dropout: adapters.dropout,
    target_modules: modules,
    bias: 'none',
    fan_in_fan_out: fanInFanOut,
    task_type: opts.taskType ?? null,
    base_model_name_or_path: opts.baseModel ?? null,
    inference_mode: true,
  };
  return {
    model: encodeSafetensors(tensors, { format: 'pt' }),
    config: `${JSON.stringify(config, null, 2)}\n`,
  };
}

/**
 * Load PEFT's files into `adapters` (made by addLora with the same targets): strict on keys
 * (every missing and unexpected PEFT key in one StateDictKeyError) and shapes; with the
 * config, its peft_type, r and lora_alpha must match the adapters'.
 */
export function decodeLoraAdapters(
  adapters: LoraAdapters,
  files: { model: Uint8Array; config?: string },
  opts: LoraFileOptions & { source?: string } = {},
): void {
  const where = `LoRA adapters${opts.source ? ` '${opts.source}'` : ''}`;
  if (files.config !== undefined) checkConfig(adapters, files.config, where);
  const { keys } = peftKeys(adapters, opts.format);
  const { tensors } = decodeSafetensors(files.model, opts.source);
  const missing = [...keys.keys()].filter((k) => !Object.hasOwn(tensors, k));
  const unexpected = Object.keys(tensors).filter((k) => !keys.has(k));
  if (missing.length || unexpected.length) throw new StateDictKeyError(where, missing, unexpected);
  adapters.loadStateDict(Object.fromEntries([...keys].map(([peft, key]) => [key, tensors[peft]])));
}

function checkConfig(adapters: LoraAdapters, text: string, where: string): void {
  let c: Partial<LoraConfigJson>;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${where}: ${LORA_CONFIG_FILE} is not JSON: ${(e as Error).message}`);
  }
  const want = { peft_type: 'LORA', r: adapters.rank, lora_alpha: adapters.alpha };
  const wrong = Object.entries(want).filter(([k, v]) => c[k as keyof LoraConfigJson] !== v);
  if (wrong.length)
    throw new LoraError(
      `${where}: ${LORA_CONFIG_FILE} has ${wrong.map(([k]) => `${k} ${JSON.stringify(c[k as keyof LoraConfigJson])}`).join(', ')}; the adapters have ${wrong.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}`,
    );
}

/**
 * Save the adapters as PEFT's `adapter_model.safetensors` and `adapter_config.json` in
 * `dir` (created if needed), each written atomically (temp file, then rename).
 *
 * @example await saveLoraAdapters('out/lora', lora, { format: gpt2Format, taskType: 'CAUSAL_LM' });
 */
export async function saveLoraAdapters(
  dir: string,
  adapters: LoraAdapters,
  opts: LoraFileOptions = {},
): Promise<void> {
  const files = encodeLoraAdapters(adapters, opts);
  const fail = (file: string) => (why: string) =>
    new CheckpointError(`cannot save LoRA adapters '${joinPath(dir, file)}': ${why}`);
  await makeDir(dir);
  await writeFileAtomic(joinPath(dir, LORA_MODEL_FILE), files.model, fail(LORA_MODEL_FILE));
  await writeFileAtomic(joinPath(dir, LORA_CONFIG_FILE), files.config, fail(LORA_CONFIG_FILE));
}

/**
 * Load PEFT's adapter files from `dir` (a URL prefix in browsers) into `adapters`; see
 * {@link decodeLoraAdapters}. The config is checked when present.
 *
 * @throws CheckpointError when adapter_model.safetensors is absent.
 */
export async function loadLoraAdapters(
  dir: string,
  adapters: LoraAdapters,
  opts: LoraFileOptions = {},
): Promise<void> {
  const modelPath = joinPath(dir, LORA_MODEL_FILE);
  const model = await readBytes(modelPath);
  if (!model) throw new CheckpointError(`LoRA adapters not found: ${modelPath}`);
  const config = await readBytes(joinPath(dir, LORA_CONFIG_FILE));
  decodeLoraAdapters(
    adapters,
    { model, config: config ? new TextDecoder().decode(config) : undefined },
    { ...opts, source: modelPath },
  );
}

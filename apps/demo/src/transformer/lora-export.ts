/**
 * The downloads of a LoRA fine-tuning (worker side): the PEFT adapter files, and the merged
 * model as a GPT-2 directory. The merge happens on a second copy of the checkpoint, read
 * again from its files, so the model on the page keeps its adapters and can train on.
 */
import { addLora, Rng } from '@genmodels/runtime';
import {
  BpeTokenizer,
  encodeGpt2Files,
  type GPT,
  GPT_LORA_TARGETS,
  gpt2LoraFiles,
  gpt2TokenizerFiles,
  readGpt2,
} from '@genmodels/transformer';
import type { FinetuneArgs } from './views.js';

export type NamedFiles = { name: string; data: Uint8Array | string }[];

/** PEFT's adapter_model.safetensors and adapter_config.json for the GPT's open adapters. */
export function adapterFiles(gpt: GPT): NamedFiles {
  if (!gpt.lora) throw new Error('this GPT has no LoRA adapters to save');
  const f = gpt2LoraFiles(gpt.net, gpt.lora);
  return [
    { name: 'adapter_model.safetensors', data: f.model },
    { name: 'adapter_config.json', data: f.config },
  ];
}

/**
 * The merged model (W + alpha/r · B A in every adapted weight) as GPT-2 files:
 * model.safetensors, config.json (the one read, updated), vocab.json, merges.txt.
 */
export async function mergedFiles(
  gpt: GPT,
  source: FinetuneArgs['checkpoint'],
): Promise<NamedFiles> {
  const lora = gpt.lora;
  if (!lora) throw new Error('this GPT has no LoRA adapters to merge');
  const copy = await readGpt2('url' in source ? source.url : source.files);
  const adapters = addLora(copy.net, {
    rank: lora.rank,
    alpha: lora.alpha,
    dropout: lora.dropout,
    targets: [...GPT_LORA_TARGETS],
    rng: new Rng(0),
  });
  adapters.loadStateDict(lora.stateDict());
  adapters.merge();
  const model = encodeGpt2Files(copy.net, { config: copy.hfConfig });
  const tokenizer =
    gpt.tokenizer instanceof BpeTokenizer ? gpt2TokenizerFiles(gpt.tokenizer) : undefined;
  return Object.entries({ ...model, ...tokenizer }).map(([name, data]) => ({ name, data }));
}

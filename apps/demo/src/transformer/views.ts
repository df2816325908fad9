/** What the GPT worker sends the page to show (no model code: shared by page and worker). */
export type GptView =
  /** A short sample taken while training (shown whole). */
  | { kind: 'sample'; text: string; step: number }
  /** Streamed generation: `start` clears the output and shows the prompt, then pieces follow. */
  | { kind: 'stream'; start?: boolean; text: string; done?: boolean }
  /** The training text in use (`vocabulary`: distinct characters, or the BPE's tokens; `tokens`: BPE ids). */
  | { kind: 'corpus'; name: string; characters: number; vocabulary: number; tokens?: number }
  /** LoRA fine-tuning: validation loss of the checkpoint as read, and now (after `step` steps). */
  | { kind: 'finetune'; before: number; after?: number; step: number; steps: number }
  /** Files to download: the merged model (a GPT-2 directory) or the PEFT adapter. */
  | { kind: 'files'; what: ExportKind; files: { name: string; data: Uint8Array | string }[] };

/** Arguments of the 'generate' action. */
export interface GenerateArgs {
  prompt: string;
  tokens: number;
  temperature: number;
}

/** Arguments of the 'corpus' action: train on this text instead. */
export interface CorpusArgs {
  name: string;
  text: string;
}

/** LoRA settings of a fine-tuning run. */
export interface LoraSettings {
  rank: number;
  alpha: number;
  /** Steps of the run (training stops there). */
  steps: number;
  /** Peak learning rate (short warm-up, cosine decay over `steps`). */
  lr: number;
}

/** The `extra` of 'create' in the LoRA mode: a GPT-2 checkpoint to fine-tune with LoRA. */
export interface FinetuneArgs {
  mode: 'lora';
  /** The checkpoint's files by name (model.safetensors, config.json, vocab.json, merges.txt), or a URL base serving them. */
  checkpoint: { files: Record<string, File> } | { url: string };
  /** Names the checkpoint in the info line. */
  origin: string;
  lora: LoraSettings;
  /** Fine-tune on this text (default: the text in use, at first the built-in verses). */
  text?: CorpusArgs;
}

/** Arguments of the 'export' action. */
export type ExportKind = 'merged' | 'adapter';

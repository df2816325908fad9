/** What the GPT worker sends the page to show (no model code: shared by page and worker). */
export type GptView =
  /** A short sample taken while training (shown whole). */
  | { kind: 'sample'; text: string; step: number }
  /** Streamed generation: `start` clears the output and shows the prompt, then pieces follow. */
  | { kind: 'stream'; start?: boolean; text: string; done?: boolean }
  /** The training text in use. */
  | { kind: 'corpus'; name: string; characters: number; vocabulary: number };

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

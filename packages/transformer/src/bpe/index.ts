/** GPT-2's byte-level BPE tokenizer of @genmodels/transformer. */
export { BpeError } from './errors.js';
export type { BpeTokenizerJSON } from './serialized.js';
export type { BpeNames, BpeTokenizerSpec } from './table.js';
export type { BpeEncodeOptions, BpeFiles, BpeTokenizerOptions } from './tokenizer.js';
export { BpeTokenizer } from './tokenizer.js';

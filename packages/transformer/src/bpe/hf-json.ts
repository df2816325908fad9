/**
 * Reader of a Hugging Face `tokenizer.json` holding a GPT-2 style byte-level BPE: model.type
 * 'BPE' with model.vocab and model.merges ('a b' strings or [a, b] arrays), a ByteLevel
 * pre-tokenizer without a prefix space, no normalizer; added_tokens become special tokens.
 * Settings this tokenizer would not honour are refused by name rather than ignored.
 */
import { BpeError, show } from './errors.js';
import { parseJson, vocabObject } from './gpt2-files.js';
import type { BpeNames, BpeTokenizerSpec } from './table.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expectField(ok: boolean, field: string, got: unknown, expected: string): void {
  if (!ok) throw new BpeError(`tokenizer.json ${field} is ${show(got, 60)}; expected ${expected}`);
}

function checkPipeline(root: Json): void {
  const pre = root.pre_tokenizer;
  expectField(
    isObject(pre) &&
      pre.type === 'ByteLevel' &&
      pre.add_prefix_space !== true &&
      pre.use_regex !== false,
    'pre_tokenizer',
    pre,
    "GPT-2's { type: 'ByteLevel', add_prefix_space: false, use_regex: true }",
  );
  expectField(root.normalizer == null, 'normalizer', root.normalizer, 'null (no normalization)');
}

function checkModel(model: unknown): asserts model is Json {
  expectField(
    isObject(model) && model.type === 'BPE',
    'model',
    isObject(model) ? model.type : model,
    "an object with type 'BPE'",
  );
  const m = model as Json;
  for (const f of ['continuing_subword_prefix', 'end_of_word_suffix'])
    expectField(m[f] == null || m[f] === '', `model.${f}`, m[f], "'' or null (GPT-2 has none)");
  expectField(
    m.ignore_merges !== true,
    'model.ignore_merges',
    m.ignore_merges,
    'false (GPT-2 merges every word)',
  );
  expectField(
    m.byte_fallback !== true,
    'model.byte_fallback',
    m.byte_fallback,
    'false (the byte alphabet covers every byte)',
  );
}

function readMerges(value: unknown): [string, string][] {
  if (!Array.isArray(value))
    throw new BpeError(
      `tokenizer.json model.merges must be an array of merges, got ${typeof value}`,
    );
  return value.map((m, i): [string, string] => {
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return [parts[0], parts[1]];
    } else if (Array.isArray(m) && m.length === 2 && m.every((p) => typeof p === 'string')) {
      return [m[0], m[1]];
    }
    throw new BpeError(
      `tokenizer.json model.merges[${i}] is ${show(m)}; expected 'a b' or ["a", "b"]`,
    );
  });
}

function readAddedTokens(value: unknown, vocab: Map<string, number>): string[] {
  if (value == null) return [];
  if (!Array.isArray(value))
    throw new BpeError(`tokenizer.json added_tokens must be an array, got ${typeof value}`);
  return value.map((t, i) => {
    if (!isObject(t) || typeof t.content !== 'string' || typeof t.id !== 'number')
      throw new BpeError(
        `tokenizer.json added_tokens[${i}] is ${show(t, 60)}; expected { id: number, content: string }`,
      );
    const had = vocab.get(t.content);
    if (had !== undefined && had !== t.id)
      throw new BpeError(
        `tokenizer.json added_tokens[${i}]: ${show(t.content)} has id ${t.id} but model.vocab gives it ${had}; expected one id`,
      );
    vocab.set(t.content, t.id);
    return t.content;
  });
}

/** The spec and message names of a tokenizer.json's text. */
export function tokenizerJsonSpec(
  text: string,
  specialTokens?: readonly string[],
): { spec: BpeTokenizerSpec; names: BpeNames } {
  const root = parseJson(text, 'tokenizer.json', "a Hugging Face tokenizer (model.type 'BPE')");
  if (!isObject(root))
    throw new BpeError(
      `tokenizer.json must be a JSON object, got ${Array.isArray(root) ? 'an array' : typeof root}`,
    );
  checkModel(root.model);
  checkPipeline(root);
  const vocab = new Map(
    Object.entries(vocabObject(root.model.vocab, 'tokenizer.json model.vocab')),
  );
  const merges = readMerges(root.model.merges);
  const added = readAddedTokens(root.added_tokens, vocab);
  return {
    spec: { vocab, merges, specialTokens: specialTokens ?? added },
    names: {
      vocab: 'tokenizer.json model.vocab (with added_tokens)',
      merge: (i) => `tokenizer.json model.merges[${i}]`,
    },
  };
}

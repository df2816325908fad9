/** Fixtures and tiny vocabularies for the BPE tests (not exported from the package). */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { BYTE_TO_CHAR } from './bytes.js';
import { BpeError } from './errors.js';

/** A file of fixtures/, written by scripts/bpe_reference.py. */
export function fixture(name: 'vocab.json' | 'merges.txt' | 'tokenizer.json' | 'encodings.json') {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

/** One test text of encodings.json and what the Python reference made of it. */
export interface EncodingCase {
  name: string;
  text: string;
  pretokens: string[];
  ids: number[];
  ids_no_special: number[];
}

/** encodings.json: the test texts, the decoded byte sequences and JavaScript's \s as Python used it. */
export function encodings(): {
  js_whitespace: number[];
  cases: EncodingCase[];
  decode: { bytes: number[]; ids: number[]; text: string }[];
} {
  return JSON.parse(fixture('encodings.json'));
}

/** token -> id: the 256 byte characters (id = byte), then `extra` in order. */
export function byteVocab(...extra: string[]): Map<string, number> {
  return new Map([...BYTE_TO_CHAR, ...extra].map((t, id) => [t, id]));
}

/** vocab.json text: the 256 byte tokens, then `extra`. */
export function vocabJson(...extra: string[]): string {
  return JSON.stringify(Object.fromEntries(byteVocab(...extra)));
}

/** `make` throws a BpeError whose message holds `message`. */
export function expectBpeError(make: () => unknown, message: string): void {
  expect(make).toThrow(BpeError);
  expect(make).toThrow(message);
}

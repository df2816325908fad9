/** Sorting out the files given for a GPT-2 checkpoint on the GPT page (no browser). */
import { describe, expect, it } from 'vitest';
import { sortGpt2Files } from '../src/transformer/gpt2-files.js';

const named = (...names: string[]) => names.map((name) => ({ name }));

describe('sortGpt2Files', () => {
  it('finds the four files of a GPT-2 directory and ignores the rest', () => {
    const r = sortGpt2Files(
      named(
        'config.json',
        'merges.txt',
        'model.safetensors',
        'vocab.json',
        'tokenizer.json',
        'README.md',
      ),
    );
    expect(Object.fromEntries(Object.entries(r.files).map(([k, f]) => [k, f.name]))).toEqual({
      'model.safetensors': 'model.safetensors',
      'config.json': 'config.json',
      'vocab.json': 'vocab.json',
      'merges.txt': 'merges.txt',
    });
    expect(r.ignored).toEqual(['tokenizer.json', 'README.md']);
  });

  it("takes the page's own downloads, whose names carry a prefix", () => {
    const r = sortGpt2Files(
      named(
        'gpt2-step9.safetensors',
        'gpt2-step9.config.json',
        'gpt2-step9.vocab.json',
        'gpt2-step9.merges.txt',
        'generation_config.json',
      ),
    );
    expect(r.files['model.safetensors'].name).toBe('gpt2-step9.safetensors');
    expect(r.files['config.json'].name).toBe('gpt2-step9.config.json');
    expect(r.ignored).toEqual(['generation_config.json']);
  });

  it('names what is missing, duplicated or the wrong kind of file', () => {
    expect(() => sortGpt2Files(named('model.safetensors', 'config.json'))).toThrow(
      'missing: vocab.json, merges.txt (given: model.safetensors, config.json)',
    );
    expect(() => sortGpt2Files([])).toThrow(
      /missing: model\.safetensors, config\.json, vocab\.json, merges\.txt$/,
    );
    expect(() => sortGpt2Files(named('a.safetensors', 'b.safetensors'))).toThrow(
      'two files for model.safetensors: a.safetensors and b.safetensors',
    );
    expect(() =>
      sortGpt2Files(named('pytorch_model.bin', 'config.json', 'vocab.json', 'merges.txt')),
    ).toThrow(/pytorch_model\.bin: PyTorch pickle weights are not read here/);
    expect(() => sortGpt2Files(named('adapter_model.safetensors', 'adapter_config.json'))).toThrow(
      /adapter_model\.safetensors is a LoRA adapter \(PEFT\), not a GPT-2 checkpoint/,
    );
  });
});

/**
 * The files a user gives for a GPT-2 checkpoint (dropped or picked, on the page), sorted out
 * by name: the four a Hugging Face GPT-2 directory needs, or a message naming what is
 * missing or wrong. Pure (no DOM, no model code), so it runs on the page and in tests.
 */

/** The files of a GPT-2 checkpoint the page reads, in the order messages name them. */
export const GPT2_FILES = ['model.safetensors', 'config.json', 'vocab.json', 'merges.txt'] as const;
export type Gpt2FileName = (typeof GPT2_FILES)[number];

/** Files of a Hugging Face directory that the page does not need (told, not refused). */
const IGNORED =
  /(^|[./_-])(tokenizer|tokenizer_config|generation_config|special_tokens_map)\.json$|\.(md|txt)$/;
const PICKLED = /\.(bin|pt|pth|ckpt|pkl)$/;

/** What a file name is; `null`: a file the page ignores. Names may carry a prefix ('run1.config.json'). */
function roleOf(name: string): Gpt2FileName | 'adapter' | 'pickled' | null {
  const n = name.toLowerCase();
  if (/adapter_(model\.safetensors|config\.json)$/.test(n)) return 'adapter';
  if (n.endsWith('.safetensors')) return 'model.safetensors';
  if (n.endsWith('vocab.json')) return 'vocab.json';
  if (n.endsWith('merges.txt')) return 'merges.txt';
  if (IGNORED.test(n)) return null;
  if (n.endsWith('config.json')) return 'config.json';
  if (PICKLED.test(n)) return 'pickled';
  return null;
}

/** A checkpoint's files by their GPT-2 name, and the names that were not needed. */
export interface SortedGpt2Files<F> {
  files: Record<Gpt2FileName, F>;
  ignored: string[];
}

/**
 * The GPT-2 files among `given` (by name, e.g. `File`s), or an Error whose message names
 * the missing file(s), a duplicate, PyTorch pickles given instead of safetensors, or a
 * LoRA adapter given instead of a model.
 *
 * @example sortGpt2Files(files).files['vocab.json']  // the File named vocab.json
 */
export function sortGpt2Files<F extends { name: string }>(given: readonly F[]): SortedGpt2Files<F> {
  const found: Partial<Record<Gpt2FileName, F>> = {};
  const ignored: string[] = [];
  const pickled: string[] = [];
  for (const f of given) {
    const role = roleOf(f.name);
    if (role === 'adapter')
      throw new Error(
        `${f.name} is a LoRA adapter (PEFT), not a GPT-2 checkpoint: give the base model's ${GPT2_FILES.join(', ')}`,
      );
    if (role === 'pickled') pickled.push(f.name);
    else if (role === null) ignored.push(f.name);
    else if (found[role])
      throw new Error(`two files for ${role}: ${found[role].name} and ${f.name}; give one`);
    else found[role] = f;
  }
  if (!found['model.safetensors'] && pickled.length)
    throw new Error(
      `${pickled.join(', ')}: PyTorch pickle weights are not read here; give model.safetensors (save_pretrained writes it)`,
    );
  const missing = GPT2_FILES.filter((n) => !found[n]);
  if (missing.length)
    throw new Error(
      `a GPT-2 checkpoint needs ${GPT2_FILES.join(', ')}; missing: ${missing.join(', ')}${given.length ? ` (given: ${given.map((f) => f.name).join(', ')})` : ''}`,
    );
  return { files: found as Record<Gpt2FileName, F>, ignored: [...ignored, ...pickled] };
}

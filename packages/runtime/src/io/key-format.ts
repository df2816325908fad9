/**
 * State-dict key formats: a checkpoint convention (GPT-2's, diffusers', ...) described as a
 * table of rules between its tensor names ("source") and this runtime's ("target", the
 * PyTorch names of our modules), each with the layout change it needs. One table serves
 * both directions (see key-map.ts): import reads the source's names into ours, export
 * writes ours back in the source's.
 *
 * A name pattern is a dotted name in which `{name}` captures one segment (no dots), e.g.
 * `transformer.h.{i}.ln_1.weight`; every pattern of a rule has the same captures, so any
 * one matched name determines all the others.
 */
import { KeyMapError } from '../errors.js';

/**
 * One rule. `map`: one source tensor to one target (renamed, optionally transposed), one to
 * several (split along `axis` on import, concatenated on export), or several to one
 * (concatenated on import, split on export); `transpose` applies to the source-side
 * tensors, and `axis` is an axis of the target-side (our) layout for a split or concat.
 * `tie`: one tensor under several names on either side: the first source name is required,
 * the others are optional copies that must equal it; import feeds the targets, export writes
 * the first source name (the others only when asked, see `tiedCopies`).
 * `ignore`: source tensors dropped on import and never written (e.g. non-persistent buffers).
 */
export type KeyRule =
  | {
      readonly kind: 'map';
      readonly source: readonly string[];
      readonly target: readonly string[];
      readonly axis?: number;
      readonly transpose?: boolean;
    }
  | { readonly kind: 'tie'; readonly source: readonly string[]; readonly target: readonly string[] }
  | { readonly kind: 'ignore'; readonly source: readonly string[]; readonly target: readonly [] };

/** A name pattern compiled: its regular expression and capture names. */
export interface KeyPattern {
  readonly text: string;
  readonly regex: RegExp;
  readonly captures: readonly string[];
}

/** A rule with compiled patterns. */
export interface CompiledRule {
  readonly rule: KeyRule;
  readonly source: readonly KeyPattern[];
  readonly target: readonly KeyPattern[];
}

/** A checkpoint convention: its name (for messages) and its rules, first match wins. */
export interface KeyFormat {
  readonly name: string;
  readonly rules: readonly CompiledRule[];
}

/** `source` is `target` (same layout). @example renameKey('transformer.ln_f.weight', 'ln_f.weight') */
export function renameKey(source: string, target: string): KeyRule {
  return { kind: 'map', source: [source], target: [target] };
}

/**
 * `source` is the transpose of `target` (a matrix, e.g. Conv1D [in, out] vs Linear [out, in]).
 *
 * @example transposeKey('transformer.h.{i}.mlp.c_fc.weight', 'h.{i}.mlp.c_fc.weight')
 */
export function transposeKey(source: string, target: string): KeyRule {
  return { kind: 'map', source: [source], target: [target], transpose: true };
}

/**
 * `source` holds `targets` side by side along `axis` (of our layout): split on import,
 * concatenated on export; with `transpose`, `source` is stored transposed.
 *
 * @example splitKey('attn.qkv.weight', ['attn.q.weight', 'attn.k.weight', 'attn.v.weight'], 0)
 */
export function splitKey(
  source: string,
  targets: readonly string[],
  axis: number,
  opts: { transpose?: boolean } = {},
): KeyRule {
  return { kind: 'map', source: [source], target: [...targets], axis, transpose: opts.transpose };
}

/**
 * `sources` side by side along `axis` (of our layout) are `target`: concatenated on import,
 * split on export; with `transpose`, each source is stored transposed.
 *
 * @example concatKeys(['{p}.to_q.weight', '{p}.to_k.weight', '{p}.to_v.weight'], '{p}.in_proj_weight', 0)
 */
export function concatKeys(
  sources: readonly string[],
  target: string,
  axis: number,
  opts: { transpose?: boolean } = {},
): KeyRule {
  return { kind: 'map', source: [...sources], target: [target], axis, transpose: opts.transpose };
}

/**
 * One tensor under several names: `sources[0]` (required) and optional copies `sources[1..]`
 * on the source side, `targets` on ours (a module with tied weights lists the first).
 *
 * @example tieKeys(['transformer.wte.weight', 'lm_head.weight'], ['wte.weight', 'lm_head.weight'])
 */
export function tieKeys(sources: readonly string[], targets: readonly string[]): KeyRule {
  return { kind: 'tie', source: [...sources], target: [...targets] };
}

/** Source tensors that are dropped on import and never written. @example ignoreKey('transformer.h.{i}.attn.bias') */
export function ignoreKey(source: string): KeyRule {
  return { kind: 'ignore', source: [source], target: [] };
}

const CAPTURE = /\{([^{}]*)\}/g;

function compilePattern(text: string, where: string): KeyPattern {
  const captures: string[] = [];
  let regex = '';
  let at = 0;
  for (const m of text.matchAll(CAPTURE)) {
    const name = m[1];
    if (!/^[A-Za-z_]\w*$/.test(name) || captures.includes(name))
      throw new KeyMapError(
        `${where}: pattern '${text}' has ${captures.includes(name) ? 'a repeated' : 'an invalid'} capture '{${name}}'; expected distinct {name}s of letters, digits and _`,
      );
    captures.push(name);
    regex += `${escapeRegex(text.slice(at, m.index))}([^.]+)`;
    at = m.index + m[0].length;
  }
  const rest = text.slice(at);
  if (text === '' || /[{}]/.test(text.replace(CAPTURE, '')))
    throw new KeyMapError(`${where}: pattern '${text}' is empty or has an unbalanced brace`);
  regex += escapeRegex(rest);
  return { text, regex: new RegExp(`^${regex}$`), captures };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function checkRule(rule: KeyRule, c: CompiledRule, where: string): void {
  const { source, target } = c;
  if (source.length === 0) throw new KeyMapError(`${where}: a rule needs a source name`);
  if (rule.kind === 'map') {
    if (target.length === 0 || (source.length > 1 && target.length > 1))
      throw new KeyMapError(
        `${where}: a mapping rule maps one name to one, one to several or several to one; got ${source.length} -> ${target.length}`,
      );
    const fused = source.length > 1 || target.length > 1;
    if (fused !== (rule.axis !== undefined) || (fused && !Number.isInteger(rule.axis)))
      throw new KeyMapError(
        `${where}: ${fused ? 'a split or concat needs an integer axis' : 'a one-to-one rule takes no axis'}`,
      );
  }
  if (rule.kind === 'tie' && target.length === 0)
    throw new KeyMapError(`${where}: a tie needs at least one target name`);
  const want = [...source[0].captures].sort().join(',');
  for (const p of [...source, ...target]) {
    if ([...p.captures].sort().join(',') !== want)
      throw new KeyMapError(
        `${where}: '${p.text}' captures {${p.captures.join('}, {')}} but '${source[0].text}' captures {${source[0].captures.join('}, {')}}; every name of a rule needs the same captures`,
      );
  }
}

/**
 * A checked, compiled format: every pattern well formed, every rule's names with the same
 * captures, axes where a split or concat needs one.
 *
 * @throws KeyMapError naming the format, the rule and what is wrong.
 *
 * @example
 * const fmt = defineKeyFormat('my format', [renameKey('enc.{i}.w', 'encoder.{i}.weight'), ignoreKey('step')]);
 */
export function defineKeyFormat(name: string, rules: readonly KeyRule[]): KeyFormat {
  const compiled = rules.map((rule, i) => {
    const where = `key format '${name}', rule ${i} (${rule.source.join(', ')})`;
    const c: CompiledRule = {
      rule,
      source: rule.source.map((t) => compilePattern(t, where)),
      target: rule.target.map((t) => compilePattern(t, where)),
    };
    checkRule(rule, c, where);
    return c;
  });
  return { name, rules: compiled };
}

/** The captures of `key` under `pattern`, or null when it does not match. */
export function matchKey(pattern: KeyPattern, key: string): Record<string, string> | null {
  const m = pattern.regex.exec(key);
  if (!m) return null;
  return Object.fromEntries(pattern.captures.map((c, i) => [c, m[i + 1]]));
}

/** `pattern` with its captures filled in. */
export function fillKey(pattern: KeyPattern, captures: Readonly<Record<string, string>>): string {
  return pattern.text.replace(CAPTURE, (_, c: string) => captures[c]);
}

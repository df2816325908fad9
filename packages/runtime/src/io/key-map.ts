/**
 * Moving state dicts between a checkpoint convention and this runtime's names, both ways,
 * with one table (a {@link KeyFormat}, see key-format.ts): {@link importStateDict} reads
 * the source's names and layouts into ours, {@link exportStateDict} writes ours back. Both
 * are strict like PyTorch's `load_state_dict(strict=True)`: every unknown and every missing
 * key is listed in one {@link StateDictKeyError}, and every tensor that does not fit is named
 * with its found and expected shapes in one ShapeError.
 */
import { KeyMapError, ShapeError, StateDictKeyError } from '../errors.js';
import { formatShape } from '../graph/shape.js';
import type { Module } from '../nn/module.js';
import { sameTensor, type Tensor } from '../tensor.js';
import {
  type CompiledRule,
  fillKey,
  type KeyFormat,
  type KeyPattern,
  matchKey,
} from './key-format.js';
import { concatAxis, splitAxis, transpose2d } from './tensor-layout.js';

/** Options of {@link importStateDict}. */
export interface KeyImportOptions {
  /**
   * Our keys the result must have, with their shapes (a module's tensors): anything else is
   * unexpected, anything absent missing, any other shape a mismatch. Without it, only source
   * names no rule knows and incomplete groups (a concat lacking a part) are errors.
   */
  expected?: Readonly<Record<string, readonly number[]>>;
  /** Keys the result may have beside `expected`, with their shapes (a module's tied names). */
  optional?: Readonly<Record<string, readonly number[]>>;
}

/** Options of {@link exportStateDict}. */
export interface KeyExportOptions {
  /** Also write the optional copies of tied tensors (`lm_head.weight` beside `wte.weight`); default false: once. */
  tiedCopies?: boolean;
}

type Direction = 'import' | 'export';

interface Mapped {
  out: Map<string, Tensor>;
  /** Each produced key with the input names it was made from. */
  origin: Map<string, string[]>;
  /** Input names a matched rule needs but the input lacks. */
  missing: string[];
  /** Input names no rule knows. */
  unexpected: string[];
}

/** The rule's input and output patterns in `dir`. */
function ends(c: CompiledRule, dir: Direction): [readonly KeyPattern[], readonly KeyPattern[]] {
  return dir === 'import' ? [c.source, c.target] : [c.target, c.source];
}

/** The first rule (and its captures) with an input pattern matching `key`. */
function findRule(format: KeyFormat, key: string, dir: Direction) {
  for (const [i, c] of format.rules.entries()) {
    for (const p of ends(c, dir)[0]) {
      const captures = matchKey(p, key);
      if (captures) return { i, c, captures };
    }
  }
  return null;
}

/** One rule's layout change on one group of input tensors -> the output tensors. */
function convert(c: CompiledRule, inputs: Tensor[], outputs: number, dir: Direction): Tensor[] {
  const rule = c.rule;
  if (rule.kind !== 'map') return inputs;
  let ts = dir === 'import' && rule.transpose ? inputs.map(transpose2d) : inputs;
  if (ts.length > 1) ts = [concatAxis(ts, rule.axis!)];
  else if (outputs > 1) ts = splitAxis(ts[0], rule.axis!, outputs);
  return dir === 'export' && rule.transpose ? ts.map(transpose2d) : ts;
}

/** Apply `format` in `dir` to every tensor of `input`, collecting what does not fit. */
function mapTensors(
  format: KeyFormat,
  input: Readonly<Record<string, Tensor>>,
  dir: Direction,
  wanted: (key: string) => boolean,
  copies: boolean,
): Mapped {
  const m: Mapped = { out: new Map(), origin: new Map(), missing: [], unexpected: [] };
  const groups = new Map<string, NonNullable<ReturnType<typeof findRule>>>();
  for (const key of Object.keys(input)) {
    const hit = findRule(format, key, dir);
    if (!hit) m.unexpected.push(key);
    else groups.set(`${hit.i}:${JSON.stringify(hit.captures)}`, hit);
  }
  const has = (k: string) => Object.hasOwn(input, k);
  for (const { c, captures } of groups.values()) {
    const [from, to] = ends(c, dir).map((ps) => ps.map((p) => fillKey(p, captures)));
    if (c.rule.kind === 'ignore') continue;
    const needed = c.rule.kind === 'tie' ? from.slice(0, 1) : from;
    const absent = needed.filter((k) => !has(k));
    if (absent.length) {
      m.missing.push(...absent);
      continue;
    }
    const given = from.filter(has);
    const where = `${format.name} ${dir}: ${given.join(' + ')}`;
    let outKeys = to;
    let outs: Tensor[];
    if (c.rule.kind === 'tie') {
      for (const k of given)
        if (!sameTensor(input[k], input[from[0]]))
          throw new KeyMapError(`${where}: '${k}' and '${from[0]}' are one tied tensor but differ`);
      const chosen = dir === 'export' ? (copies ? to : to.slice(0, 1)) : to.filter(wanted);
      outKeys = chosen.length ? chosen : to.slice(0, 1);
      outs = outKeys.map(() => input[from[0]]);
    } else {
      try {
        outs = convert(
          c,
          given.map((k) => input[k]),
          to.length,
          dir,
        );
      } catch (e) {
        if (e instanceof KeyMapError) throw new KeyMapError(`${where}: ${e.message}`);
        throw e;
      }
    }
    outKeys.forEach((k, j) => {
      const before = m.origin.get(k);
      if (before)
        throw new KeyMapError(
          `${format.name} ${dir}: '${k}' would come both from ${before.join(' + ')} and from ${given.join(' + ')}`,
        );
      m.out.set(k, outs[j]);
      m.origin.set(k, given);
    });
  }
  return m;
}

/** The source names a missing key of ours would have come from. */
function sourcesOf(format: KeyFormat, key: string, input: Readonly<Record<string, Tensor>>) {
  for (const c of format.rules) {
    for (const p of c.target) {
      const captures = matchKey(p, key);
      if (!captures) continue;
      const names = c.source.map((s) => fillKey(s, captures));
      if (c.rule.kind === 'tie') return names.slice(0, 1);
      const absent = names.filter((n) => !Object.hasOwn(input, n));
      return absent.length ? absent : names;
    }
  }
  return [`${key} (which no rule of ${format.name} produces)`];
}

const unique = (xs: string[]) => [...new Set(xs)];
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * `source` (named and laid out as `format`'s source convention) as our state dict.
 *
 * @throws StateDictKeyError listing every source name no rule knows (or that would make a
 *   key `expected` lacks) and every missing one, in the source's names;
 *   ShapeError naming every tensor that does not have its expected shape;
 *   KeyMapError when a layout cannot apply (a transpose of a non-matrix, a split that does not
 *   divide) or tied copies differ.
 *
 * @example
 * const sd = importStateDict(GPT2_FORMAT, file.tensors, { expected: shapesOf(net) });
 */
export function importStateDict(
  format: KeyFormat,
  source: Readonly<Record<string, Tensor>>,
  opts: KeyImportOptions = {},
): Record<string, Tensor> {
  const { expected, optional = {} } = opts;
  const wanted = (k: string) =>
    !expected || Object.hasOwn(expected, k) || Object.hasOwn(optional, k);
  const m = mapTensors(format, source, 'import', wanted, false);
  const missing = [...m.missing];
  const unexpected = [...m.unexpected];
  if (expected) {
    for (const [k, from] of m.origin) if (!wanted(k)) unexpected.push(...from);
    for (const k of Object.keys(expected))
      if (!m.out.has(k)) missing.push(...sourcesOf(format, k, source));
  }
  if (missing.length || unexpected.length)
    throw new StateDictKeyError(`${format.name} import`, unique(missing), unique(unexpected));
  const bad: string[] = [];
  for (const [k, t] of m.out) {
    const want = expected?.[k] ?? optional[k];
    if (!want || sameShape(t.shape, want)) continue;
    const from = m.origin.get(k)!.map((n) => `${n} ${formatShape(source[n].shape)}`);
    bad.push(
      `'${k}' (from ${from.join(' + ')}) is ${formatShape(t.shape)} but ${formatShape(want)} is expected`,
    );
  }
  if (bad.length) throw new ShapeError(`${format.name} import: ${bad.join('; ')}`);
  return Object.fromEntries(m.out);
}

/**
 * Our state dict `own` in `format`'s source names and layouts (tied tensors once unless
 * `tiedCopies`).
 *
 * @throws StateDictKeyError listing every key of ours no rule knows and every key a rule
 *   needs but `own` lacks; KeyMapError as {@link importStateDict}.
 *
 * @example const tensors = exportStateDict(GPT2_FORMAT, net.stateDict());
 */
export function exportStateDict(
  format: KeyFormat,
  own: Readonly<Record<string, Tensor>>,
  opts: KeyExportOptions = {},
): Record<string, Tensor> {
  const m = mapTensors(format, own, 'export', () => true, opts.tiedCopies ?? false);
  if (m.missing.length || m.unexpected.length)
    throw new StateDictKeyError(`${format.name} export`, unique(m.missing), m.unexpected);
  return Object.fromEntries(m.out);
}

/**
 * Load `source` (in `format`'s names) into `module`, strictly: every tensor of the module
 * must come from it, and nothing else may be in it. Tied names of the module are accepted.
 *
 * @example loadMappedStateDict(net, GPT2_FORMAT, (await loadSafetensors(path)).tensors);
 */
export function loadMappedStateDict(
  module: Module,
  format: KeyFormat,
  source: Readonly<Record<string, Tensor>>,
): void {
  const own = new Map(module.namedTensors());
  const expected = Object.fromEntries([...own].map(([k, p]) => [k, p.shape]));
  const optional = Object.fromEntries(
    Object.entries(module.tiedKeys()).map(([alias, k]) => [alias, own.get(k)!.shape]),
  );
  module.loadStateDict(importStateDict(format, source, { expected, optional }));
}

/**
 * `module`'s state dict in `format`'s names and layouts.
 *
 * @example await saveSafetensors('model.safetensors', mappedStateDict(net, GPT2_FORMAT));
 */
export function mappedStateDict(
  module: Module,
  format: KeyFormat,
  opts: KeyExportOptions = {},
): Record<string, Tensor> {
  return exportStateDict(format, module.stateDict(), opts);
}

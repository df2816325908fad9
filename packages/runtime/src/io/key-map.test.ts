import { describe, expect, it } from 'vitest';
import { KeyMapError, ShapeError, StateDictKeyError } from '../errors.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { Rng } from '../rng.js';
import { sameTensor, Tensor } from '../tensor.js';
import {
  concatKeys,
  defineKeyFormat,
  ignoreKey,
  renameKey,
  splitKey,
  tieKeys,
  transposeKey,
} from './key-format.js';
import {
  exportStateDict,
  importStateDict,
  loadMappedStateDict,
  mappedStateDict,
} from './key-map.js';
import { concatAxis, splitAxis, transpose2d } from './tensor-layout.js';

/** float32 tensor of `shape` holding start, start + 1, ... */
function seq(shape: number[], start = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    'float32',
    shape,
    Float32Array.from({ length: n }, (_, i) => start + i),
  );
}

/** A made-up foreign convention exercising every kind of rule. */
const TOY = defineKeyFormat('toy', [
  tieKeys(['emb.w', 'head.w'], ['wte.weight', 'lm_head.weight']),
  transposeKey('blocks.{i}.fc.w', 'h.{i}.fc.weight'),
  renameKey('blocks.{i}.fc.b', 'h.{i}.fc.bias'),
  concatKeys(['blocks.{i}.q', 'blocks.{i}.k', 'blocks.{i}.v'], 'h.{i}.in_proj_weight', 0),
  splitKey('blocks.{i}.ab', ['h.{i}.a', 'h.{i}.b'], 0, { transpose: true }),
  ignoreKey('blocks.{i}.mask'),
]);

/** One block's source tensors, and the whole source state dict for `layers` blocks. */
function source(layers = 2, withCopy = false): Record<string, Tensor> {
  const sd: Record<string, Tensor> = { 'emb.w': seq([5, 4]) };
  if (withCopy) sd['head.w'] = seq([5, 4]);
  for (let i = 0; i < layers; i++) {
    const b = `blocks.${i}`;
    Object.assign(sd, {
      [`${b}.fc.w`]: seq([4, 6], 100 * i),
      [`${b}.fc.b`]: seq([6], 100 * i + 30),
      [`${b}.q`]: seq([2, 4], 100 * i + 40),
      [`${b}.k`]: seq([2, 4], 100 * i + 50),
      [`${b}.v`]: seq([2, 4], 100 * i + 60),
      [`${b}.ab`]: seq([3, 4], 100 * i + 70),
      [`${b}.mask`]: seq([1, 1]),
    });
  }
  return sd;
}

/** Our shapes for `layers` blocks. */
function expected(layers = 2): Record<string, number[]> {
  const out: Record<string, number[]> = { 'wte.weight': [5, 4] };
  for (let i = 0; i < layers; i++)
    Object.assign(out, {
      [`h.${i}.fc.weight`]: [6, 4],
      [`h.${i}.fc.bias`]: [6],
      [`h.${i}.in_proj_weight`]: [6, 4],
      [`h.${i}.a`]: [2, 3],
      [`h.${i}.b`]: [2, 3],
    });
  return out;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('host layouts', () => {
  it('transpose, split and concat copy values to the right places', () => {
    expect(transpose2d(seq([2, 3])).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    const [a, b] = splitAxis(seq([2, 4]), 1, 2);
    expect([a.shape, a.toArray(), b.toArray()]).toEqual([
      [2, 2],
      [0, 1, 4, 5],
      [2, 3, 6, 7],
    ]);
    expect(concatAxis([a, b], -1).toArray()).toEqual(seq([2, 4]).toArray());
    expect(concatAxis([seq([1, 2]), seq([2, 2], 2)], 0).toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    const ints = new Tensor('int64', [2, 2], BigInt64Array.from([1n, 2n, 3n, 4n]));
    expect(transpose2d(ints).toArray()).toEqual([1, 3, 2, 4]);
  });

  it('name what cannot be done', () => {
    expect(() => transpose2d(seq([2, 2, 2]))).toThrow(
      'transpose: expected a matrix, got float32[2,2,2]',
    );
    expect(() => splitAxis(seq([3, 2]), 0, 2)).toThrow('does not split into 2 equal parts');
    expect(() => splitAxis(seq([3, 2]), 2, 1)).toThrow('axis 2 is outside a tensor of rank 2');
    expect(() => concatAxis([seq([1, 2]), seq([1, 3])], 0)).toThrow(KeyMapError);
  });
});

describe('key formats: import and export with one table', () => {
  it('imports every kind of rule and exports back to the same tensors, bit for bit', () => {
    const src = source();
    const own = importStateDict(TOY, src, { expected: expected() });
    expect(Object.keys(own).sort()).toEqual(Object.keys(expected()).sort());
    expect(own['h.1.fc.weight'].toArray()).toEqual(transpose2d(src['blocks.1.fc.w']).toArray());
    expect(own['h.0.in_proj_weight'].toArray()).toEqual([
      ...seq([2, 4], 40).toArray(),
      ...seq([2, 4], 50).toArray(),
      ...seq([2, 4], 60).toArray(),
    ]);
    // ab [3, 4] is stored transposed: ours is [4, 3], split along axis 0 into a and b.
    expect(own['h.0.a'].toArray()).toEqual([70, 74, 78, 71, 75, 79]);
    expect(own['h.0.b'].toArray()).toEqual([72, 76, 80, 73, 77, 81]);
    const back = exportStateDict(TOY, own);
    const { 'blocks.0.mask': _m0, 'blocks.1.mask': _m1, ...kept } = src;
    expect(Object.keys(back).sort()).toEqual(Object.keys(kept).sort());
    for (const [k, t] of Object.entries(kept)) expect(sameTensor(back[k], t), k).toBe(true);
  });

  it('ties: one source tensor feeds every target; export writes it once unless copies are asked for', () => {
    const src = source(1, true);
    const all = importStateDict(TOY, src);
    expect(all['lm_head.weight']).toBe(all['wte.weight']);
    const own = importStateDict(TOY, src, { expected: expected(1) });
    expect('lm_head.weight' in own).toBe(false);
    expect('head.w' in exportStateDict(TOY, own)).toBe(false);
    expect(
      sameTensor(exportStateDict(TOY, own, { tiedCopies: true })['head.w'], src['emb.w']),
    ).toBe(true);
    // A PyTorch-style state dict with both names exports once too; copies that differ are an error.
    expect('head.w' in exportStateDict(TOY, all)).toBe(false);
    const differ = { ...src, 'head.w': seq([5, 4], 1) };
    expect(() => importStateDict(TOY, differ)).toThrow(
      "toy import: emb.w + head.w: 'head.w' and 'emb.w' are one tied tensor but differ",
    );
    expect(() => exportStateDict(TOY, { ...all, 'lm_head.weight': seq([5, 4], 1) })).toThrow(
      KeyMapError,
    );
  });

  it('lists every unexpected and every missing key at once, in the source names', () => {
    const src = source(3);
    delete src['emb.w'];
    delete src['blocks.0.k'];
    delete src['blocks.1.fc.b'];
    src['blocks.0.extra'] = seq([1]);
    src.step = seq([1]);
    const e = thrown(() =>
      importStateDict(TOY, src, { expected: expected(2) }),
    ) as StateDictKeyError;
    expect(e).toBeInstanceOf(StateDictKeyError);
    expect(e.missing).toEqual(['blocks.0.k', 'emb.w', 'blocks.1.fc.b']);
    expect(e.unexpected).toEqual([
      'blocks.0.extra',
      'step',
      'blocks.2.fc.w',
      'blocks.2.fc.b',
      'blocks.2.q',
      'blocks.2.k',
      'blocks.2.v',
      'blocks.2.ab',
    ]);
    expect(e.message).toBe(
      'toy import: missing blocks.0.k, emb.w, blocks.1.fc.b; unexpected blocks.0.extra, step, blocks.2.fc.w, blocks.2.fc.b, blocks.2.q, blocks.2.k, blocks.2.v, blocks.2.ab',
    );
    // Without expected shapes, unknown names and incomplete groups are still errors.
    expect(() => importStateDict(TOY, { 'blocks.0.q': seq([2, 4]), odd: seq([1]) })).toThrow(
      'toy import: missing blocks.0.k, blocks.0.v; unexpected odd',
    );
  });

  it('names every tensor of the wrong shape with the source shapes and the expected one', () => {
    const src = source(1);
    src['blocks.0.fc.w'] = seq([6, 4]);
    src['blocks.0.fc.b'] = seq([5]);
    const e = thrown(() => importStateDict(TOY, src, { expected: expected(1) }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe(
      "toy import: 'h.0.fc.weight' (from blocks.0.fc.w [6,4]) is [4,6] but [6,4] is expected; 'h.0.fc.bias' (from blocks.0.fc.b [5]) is [5] but [6] is expected",
    );
    src['blocks.0.fc.w'] = seq([2, 2, 6]);
    expect(() => importStateDict(TOY, src)).toThrow(
      'toy import: blocks.0.fc.w: transpose: expected a matrix, got float32[2,2,6]',
    );
  });

  it('export is strict too: keys of ours no rule knows, parts a rule needs', () => {
    const own = importStateDict(TOY, source(1), { expected: expected(1) });
    delete own['h.0.b'];
    own['h.0.norm.weight'] = seq([4]);
    expect(() => exportStateDict(TOY, own)).toThrow(
      'toy export: missing h.0.b; unexpected h.0.norm.weight',
    );
  });

  it('reports a key that two rules would both produce', () => {
    const fmt = defineKeyFormat('dup', [renameKey('a', 'x'), renameKey('b', 'x')]);
    expect(() => importStateDict(fmt, { a: seq([1]), b: seq([1]) })).toThrow(
      "dup import: 'x' would come both from a and from b",
    );
  });

  it('checks the table itself', () => {
    const bad: [() => unknown, string][] = [
      [
        () => defineKeyFormat('f', [renameKey('h.{i}.w', 'h.{j}.w')]),
        "'h.{j}.w' captures {j} but 'h.{i}.w' captures {i}",
      ],
      [() => defineKeyFormat('f', [renameKey('h.{i}.{i}', 'x.{i}')]), "a repeated capture '{i}'"],
      [() => defineKeyFormat('f', [renameKey('h.{1x}', 'x')]), "an invalid capture '{1x}'"],
      [() => defineKeyFormat('f', [renameKey('h.{i', 'x')]), 'unbalanced brace'],
      [() => defineKeyFormat('f', [splitKey('a', ['b', 'c'], 0.5)]), 'needs an integer axis'],
      [
        () =>
          defineKeyFormat('f', [{ kind: 'map', source: ['a', 'b'], target: ['c', 'd'], axis: 0 }]),
        'got 2 -> 2',
      ],
      [
        () => defineKeyFormat('f', [{ kind: 'map', source: ['a'], target: ['b'], axis: 0 }]),
        'takes no axis',
      ],
    ];
    for (const [fn, message] of bad) {
      expect(fn).toThrow(KeyMapError);
      expect(fn).toThrow(message);
    }
  });
});

class TinyLm extends Module {
  readonly wte: Embedding;
  readonly lm_head: Linear;
  constructor(tied: boolean) {
    super();
    const rng = new Rng(0);
    this.wte = new Embedding(5, 4, { rng });
    this.lm_head = new Linear(4, 5, {
      bias: false,
      rng,
      weight: tied ? this.wte.weight : undefined,
    });
  }
  forward(): never {
    throw new Error('not used');
  }
}

describe('modules through a key format', () => {
  const fmt = defineKeyFormat('lm', [
    tieKeys(['emb.w', 'head.w'], ['wte.weight', 'lm_head.weight']),
  ]);

  it('load a tied module from the format and save it back', () => {
    const m = new TinyLm(true);
    loadMappedStateDict(m, fmt, { 'emb.w': seq([5, 4]), 'head.w': seq([5, 4]) });
    expect(m.lm_head.weight.data.toArray()).toEqual(seq([5, 4]).toArray());
    expect(Object.keys(mappedStateDict(m, fmt))).toEqual(['emb.w']);
    expect(Object.keys(mappedStateDict(m, fmt, { tiedCopies: true }))).toEqual(['emb.w', 'head.w']);
  });

  it('feed an untied module both targets, and refuse a file that lacks the tensor', () => {
    const m = new TinyLm(false);
    loadMappedStateDict(m, fmt, { 'emb.w': seq([5, 4], 3) });
    expect(m.lm_head.weight.data.toArray()).toEqual(seq([5, 4], 3).toArray());
    expect(() => loadMappedStateDict(m, fmt, { 'head.w': seq([5, 4]) })).toThrow(
      'lm import: missing emb.w',
    );
    expect(() => loadMappedStateDict(m, fmt, { 'emb.w': seq([4, 4]) })).toThrow(
      "'wte.weight' (from emb.w [4,4]) is [4,4] but [5,4] is expected",
    );
  });
});

/**
 * Deterministic scatter-add on ONNX Runtime's CPU provider.
 *
 * ORT's CPU ScatterND with `reduction='add'` runs its updates on several threads with
 * atomic adds, so where indices repeat (an embedding's gradient: every occurrence of a
 * token adds into its row) the order of the float additions, and so the result's last
 * bits, changes from run to run. Seeded training then does not reproduce. ScatterElements
 * gives each thread whole columns and walks the scatter axis in order, so its sums are the
 * same on every run and thread count, but ORT 1.30's kernel is slow (13x ScatterND on a
 * character GPT's embedding gradient). So a depth-1 ScatterND-add over the flattened rows,
 *
 *   data [V, ...T] -> [V, t],  updates [...I, ...T] -> [n, t],  indices [...I, 1] -> [n, 1],
 *
 * becomes, for a table of at most ONE_HOT_ROWS rows, a product with the one-hot matrix of
 * the indices, data + onehot(indices)^T @ updates (one GEMM, its sums in a fixed order), and
 * for larger tables (a BPE vocabulary) ScatterElements(axis 0, add) with the indices
 * expanded to [n, t]. Either way every run gives the same bits.
 */
import { Tensor } from '../tensor.js';
import type { LoweredNode, Lowering } from './encode.js';

const int64 = (v: readonly number[]) =>
  new Tensor('int64', [v.length], BigInt64Array.from(v.map(BigInt)));

/** Tables up to this many rows scatter-add as a one-hot GEMM (n x 1024 floats of one-hot). */
export const ONE_HOT_ROWS = 1024;

/** The lowering of depth-1 ScatterND-add nodes whose slices have a static size. */
export const scatterAddLowering: Lowering = (n, input, output, fresh) => {
  if (n.prim.opType !== 'ScatterND' || n.prim.domain) return undefined;
  if ((n.attrs.reduction as { s: string } | undefined)?.s !== 'add') return undefined;
  const [x, indices] = n.inputs;
  if (!x || !indices || indices.shape.at(-1) !== 1) return undefined;
  const slice = x.shape.slice(1);
  if (!slice.every((d) => typeof d === 'number')) return undefined;
  const t = (slice as number[]).reduce((a, d) => a * d, 1);
  const V = x.shape[0];

  const nodes: LoweredNode[] = [];
  const constants: { name: string; tensor: Tensor }[] = [];
  const constant = (hint: string, v: readonly number[]) => {
    const name = fresh(hint);
    constants.push({ name, tensor: int64(v) });
    return name;
  };
  const node = (
    opType: string,
    inputs: string[],
    attrs?: LoweredNode['attrs'],
    out = fresh(opType.toLowerCase()),
  ) => {
    nodes.push({ opType, input: inputs, output: [out], attrs });
    return out;
  };
  const [data, idx, updates] = input;
  const rows = constant('rows', [-1, t]);
  const data2 = node('Reshape', [data, rows]);
  const updates2 = node('Reshape', [updates, rows]);
  const idx2 = node('Reshape', [idx, constant('column', [-1, 1])]);
  let summed: string;
  if (typeof V === 'number' && V <= ONE_HOT_ROWS) {
    // Negative indices count from the end, as in ScatterND.
    const wrapped = node('Where', [
      node('Less', [idx2, constant('zero', [0])]),
      node('Add', [idx2, constant('count', [V])]),
      idx2,
    ]);
    const ids = constant(
      'ids',
      Array.from({ length: V }, (_, i) => i),
    );
    const hit = node('Equal', [wrapped, node('Unsqueeze', [ids, constant('axis0', [0])])]);
    const oneHot = node('Cast', [hit], { to: { i: 1 } });
    summed = node('Add', [data2, node('Gemm', [oneHot, updates2], { transA: { i: 1 } })]);
  } else {
    const idxFull = node('Expand', [idx2, node('Shape', [updates2])]);
    summed = node('ScatterElements', [data2, idxFull, updates2], {
      axis: { i: 0 },
      reduction: { s: 'add' },
    });
  }
  node('Reshape', [summed, node('Shape', [data])], undefined, output[0]);
  return { nodes, constants };
};

/** The first lowering that takes a node rewrites it; the rest keep theirs. */
export function chainLowerings(...lowerings: readonly Lowering[]): Lowering {
  return (n, input, output, fresh) => {
    for (const l of lowerings) {
      const r = l(n, input, output, fresh);
      if (r) return r;
    }
    return undefined;
  };
}

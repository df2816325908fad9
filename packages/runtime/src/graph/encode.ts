import onnxProto from 'onnx-proto';
import { GraphError } from '../errors.js';
import type { DType, Tensor } from '../tensor.js';
import type { Attr, Graph, Node, Value } from './graph.js';
import type { OnnxModel } from './onnx-model.js';
import type { Shape } from './shape.js';

const { onnx } = onnxProto;

export const OPSET = 21;
export const IR_VERSION = 10;

const ELEM_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export interface EncodeOptions {
  /** Graph outputs by name. */
  outputs: Readonly<Record<string, Value>>;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Stored as ModelProto.metadata_props. */
  metadata?: Readonly<Record<string, string>>;
  /**
   * Replace a node by other ONNX nodes at encoding time (e.g. a provider's layout-specific
   * kernels); the traced graph, its gradients and exported files are not affected.
   */
  lower?: Lowering;
}

/** One node written by a {@link Lowering}: ONNX names, attributes as in the traced graph. */
export interface LoweredNode {
  opType: string;
  /** Operator domain, e.g. 'com.microsoft.nchwc' (imported at version 1); default ''. */
  domain?: string;
  input: readonly string[];
  output: readonly string[];
  attrs?: Readonly<Record<string, Attr>>;
}

/** What a lowering emits in place of one node: nodes plus the constants they read. */
export interface LoweredNodes {
  nodes: LoweredNode[];
  constants: { name: string; tensor: Tensor }[];
}

/**
 * Rewrites one traced node, or returns undefined to keep it. `input`/`output` are the
 * node's ONNX value names ('' for an absent optional input); `fresh(hint)` makes a name
 * unused elsewhere in the model.
 */
export type Lowering = (
  node: Node,
  input: readonly string[],
  output: readonly string[],
  fresh: (hint: string) => string,
) => LoweredNodes | undefined;

function tensorProto(name: string, t: Tensor): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dims: [...t.shape], dataType: ELEM_TYPE[t.dtype], rawData: bytes.slice() };
}

function valueInfo(name: string, dtype: DType, shape: Shape): onnxProto.onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ELEM_TYPE[dtype], shape: { dim } } } };
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  return { name, type: T.TENSOR, t: tensorProto(name, a.t) };
}

/** Nodes needed for `roots`, in topological (emission) order. */
export function liveNodes(graph: Graph, roots: readonly Value[]): Node[] {
  const live = new Set<Node>();
  const stack = roots.map((v) => v.node).filter((n): n is Node => n !== null);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (live.has(n)) continue;
    live.add(n);
    for (const v of n.inputs) if (v?.node && !live.has(v.node)) stack.push(v.node);
  }
  return graph.nodes.filter((n) => live.has(n));
}

/**
 * Encode the part of `graph` that computes `outputs` as an ONNX ModelProto
 * (opset 21, IR 10). Every declared graph input is kept, used or not, so feeds
 * are predictable.
 */
export function encodeModel(graph: Graph, opts: EncodeOptions): Uint8Array {
  const outEntries = Object.entries(opts.outputs);
  if (outEntries.length === 0) throw new GraphError(`encodeModel('${graph.name}'): no outputs`);
  for (const [name, v] of outEntries) {
    if (v.graph !== graph)
      throw new GraphError(
        `encodeModel('${graph.name}'): output '${name}' belongs to another graph`,
      );
  }
  const nodes = liveNodes(
    graph,
    outEntries.map(([, v]) => v),
  );
  const names = new Map<Value, string>();
  for (const v of graph.inputs) names.set(v, v.name!);
  for (const v of graph.constants.keys()) names.set(v, v.name!);
  const taken = new Set<string>([...names.values()]);

  // Give node outputs that are graph outputs their output name directly when possible;
  // otherwise (inputs, constants, one value under two names) an Identity node renames.
  const identities: onnxProto.onnx.INodeProto[] = [];
  for (const [name, v] of outEntries) {
    if (taken.has(name) && names.get(v) !== name) {
      throw new GraphError(
        `encodeModel('${graph.name}'): output name '${name}' clashes with an input or constant`,
      );
    }
    if (v.node && !names.has(v)) names.set(v, name);
    else if (names.get(v) !== name)
      identities.push({
        opType: 'Identity',
        name: `out/${name}`,
        input: [names.get(v)!],
        output: [name],
      });
    taken.add(name);
  }

  const nodeProtos: onnxProto.onnx.INodeProto[] = [];
  const usedConsts = new Set<Value>();
  const loweredConsts: onnxProto.onnx.ITensorProto[] = [];
  const domains = new Set<string>();
  let freshId = 0;
  const fresh = (hint: string) => {
    let s: string;
    do s = `${hint}__l${freshId++}`;
    while (taken.has(s));
    taken.add(s);
    return s;
  };
  for (const n of nodes) {
    const input = n.inputs.map((v) => {
      if (!v) return '';
      if (v.constantData) usedConsts.add(v);
      return nameOf(v);
    });
    const output = n.outputs.map(nameOf);
    const prefix = `${n.scope ? `${n.scope}/` : ''}${n.prim.opType}_${n.id}`;
    const lowered = opts.lower?.(n, input, output, fresh);
    if (lowered) {
      lowered.nodes.forEach((l, i) => {
        if (l.domain) domains.add(l.domain);
        nodeProtos.push({
          opType: l.opType,
          domain: l.domain ?? '',
          name: `${prefix}/${l.opType}_${i}`,
          input: [...l.input],
          output: [...l.output],
          attribute: Object.entries(l.attrs ?? {}).map(([k, a]) => attribute(k, a)),
        });
      });
      for (const c of lowered.constants) loweredConsts.push(tensorProto(c.name, c.tensor));
      continue;
    }
    if (n.prim.domain) domains.add(n.prim.domain);
    nodeProtos.push({
      opType: n.prim.opType,
      domain: n.prim.domain ?? '',
      name: prefix,
      input,
      output,
      attribute: Object.entries(n.attrs).map(([k, a]) => attribute(k, a)),
    });
  }
  for (const [, v] of outEntries) if (v.constantData) usedConsts.add(v);

  function nameOf(v: Value): string {
    let s = names.get(v);
    if (!s) {
      s = `v${v.id}`;
      names.set(v, s);
      taken.add(s);
    }
    return s;
  }

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: opts.producerName ?? 'genmodels',
    producerVersion: opts.producerVersion ?? '',
    docString: opts.docString ?? '',
    opsetImport: [
      { domain: '', version: OPSET },
      ...[...domains].sort().map((domain) => ({ domain, version: 1 })),
    ],
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: [...nodeProtos, ...identities],
      input: graph.inputs.map((v) => valueInfo(v.name!, v.dtype, v.shape)),
      initializer: [
        ...[...usedConsts].map((v) => tensorProto(v.name!, v.constantData!)),
        ...loweredConsts,
      ],
      output: outEntries.map(([name, v]) => valueInfo(name, v.dtype, v.shape)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Decode a ModelProto (for tests and tooling), typed by the runtime's own {@link OnnxModel}
 * (no protobuf package's types in public signatures); int64 fields read with `Number(...)`.
 *
 * @example Number(decodeModel(bytes).opsetImport[0].version) // 21
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  return onnx.ModelProto.decode(bytes);
}

import { beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { softmax } from '../ops/activation.js';
import { add, mul } from '../ops/elementwise.js';
import { transpose } from '../ops/shape.js';
import { Tensor } from '../tensor.js';
import { decodeModel, encodeModel, IR_VERSION, OPSET } from './encode.js';
import { Graph } from './graph.js';
import type { OnnxInt64, OnnxModel } from './onnx-model.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

describe('ModelProto encoding', () => {
  it('writes opset 21, IR 10, named dynamic dims, scopes and metadata', () => {
    const g = new Graph('m');
    const x = g.input('x', 'float32', ['batch', 3]);
    const y = g.scope('block', () => mul(x, 2));
    const dead = add(x, 5); // not needed by any output: pruned
    void dead;
    const model = decodeModel(encodeModel(g, { outputs: { y }, metadata: { config: '{"a":1}' } }));
    expect(Number(model.irVersion)).toBe(IR_VERSION);
    expect(Number(model.opsetImport[0].version)).toBe(OPSET);
    expect(model.graph!.input![0].type!.tensorType!.shape!.dim![0].dimParam).toBe('batch');
    expect(model.graph!.node!.map((n) => n.opType)).toEqual(['Mul']);
    expect(model.graph!.node![0].name).toMatch(/^block\/Mul_/);
    expect(model.metadataProps[0]).toMatchObject({ key: 'config', value: '{"a":1}' });
  });

  it('decodes to the OnnxModel shape: int64 fields read with Number, attributes, initializers', () => {
    const g = new Graph('m');
    const x = g.input('x', 'float32', ['batch', 3]);
    const w = g.constant(new Tensor('float32', [3], new Float32Array(3).fill(0.5)), 'w');
    const y = softmax(transpose(mul(x, w), [1, 0]), 0);
    const model: OnnxModel = decodeModel(encodeModel(g, { outputs: { y } }));
    const int64 = (v: OnnxInt64 | null | undefined) => Number(v);
    expect(int64(model.irVersion)).toBe(IR_VERSION);
    expect(model.opsetImport.map((o) => [o.domain, int64(o.version)])).toEqual([['', OPSET]]);
    const graph = model.graph!;
    expect(
      graph.input!.map((v) =>
        v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || int64(d.dimValue)),
      ),
    ).toEqual([['batch', 3]]);
    expect(graph.input![0].type!.tensorType!.elemType).toBe(1); // FLOAT
    const [init] = graph.initializer!; // rawData: a Buffer view on Node.js, copied to align
    expect([init.name, init.dims!.map(int64), init.dataType]).toEqual(['w', [3], 1]);
    expect(new Float32Array(new Uint8Array(init.rawData!).buffer)).toEqual(
      new Float32Array(3).fill(0.5),
    );
    const attrs = Object.fromEntries(
      graph.node!.flatMap((n) => n.attribute!.map((a) => [`${n.opType}.${a.name}`, a])),
    );
    expect(attrs['Transpose.perm'].ints!.map(int64)).toEqual([1, 0]);
    expect(int64(attrs['Softmax.axis'].i)).toBe(0);
    expect(graph.output!.map((v) => v.name)).toEqual(['y']);
  });

  it('renames outputs that are inputs or repeated values through Identity, and runs', async () => {
    const g = new Graph('m');
    const x = g.input('x', 'float32', [2]);
    const y = mul(x, 3);
    const exe = await rt.compile(g, { same: x, y, y2: y, c: g.constant(Tensor.from([7])) });
    const out = await exe.runHost({ x: Tensor.from([1, 2]) });
    expect(out.same.toArray()).toEqual([1, 2]);
    expect(out.y.toArray()).toEqual([3, 6]);
    expect(out.y2.toArray()).toEqual([3, 6]);
    expect(out.c.toArray()).toEqual([7]);
  });

  it('rejects duplicate names, empty outputs and foreign values', () => {
    const g = new Graph('m');
    g.input('x', 'float32', [1]);
    expect(() => g.input('x', 'float32', [1])).toThrow("the name 'x' is already used");
    expect(() => encodeModel(g, { outputs: {} })).toThrow(GraphError);
    const other = new Graph('o').input('z', 'float32', [1]);
    expect(() => encodeModel(g, { outputs: { z: other } })).toThrow('belongs to another graph');
  });
});

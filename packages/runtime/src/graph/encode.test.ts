import { beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { add, mul } from '../ops/elementwise.js';
import { Tensor } from '../tensor.js';
import { decodeModel, encodeModel, IR_VERSION, OPSET } from './encode.js';
import { Graph } from './graph.js';

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

import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError } from '../errors.js';
import { Graph } from '../graph/graph.js';
import { conv2d } from './conv.js';
import { add } from './elementwise.js';
import { linear, matmul } from './matmul.js';

// Trace-time errors name the op, both shapes and the module path, before ORT sees the graph.
describe('trace-time errors', () => {
  it('matmul inner-dim mismatch names op, shapes and module path', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [128, 512]);
    const w = g.input('w', 'float32', [256, 784]);
    const f = () => g.scope('decoder', () => g.scope('fc2', () => matmul(x, w)));
    expect(f).toThrow(ShapeError);
    expect(f).toThrow('decoder.fc2: matmul [128,512] x [256,784]');
  });

  it('add of non-broadcastable shapes', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', ['batch', 3]);
    const b = g.input('b', 'float32', [4]);
    expect(() => g.scope('encoder', () => add(a, b))).toThrow(
      'encoder: add: shapes [batch,3] and [4] do not broadcast',
    );
  });

  it('linear weight in the wrong layout', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 784]);
    const w = g.input('w', 'float32', [784, 512]);
    expect(() => g.scope('fc1', () => linear(x, w))).toThrow(
      /fc1: linear: input \[batch,784\] x weight \[784,512\]/,
    );
  });

  it('conv2d channel mismatch names op, both shapes and module path', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 3, 28, 28]);
    const w = g.input('w', 'float32', [32, 1, 3, 3]);
    const f = () => g.scope('encoder', () => g.scope('conv1', () => conv2d(x, w)));
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/encoder\.conv1: conv2d: input \[batch,3,28,28\] and weight \[32,1,3,3\]/);
  });

  it('wrong dtype', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [3]);
    const b = g.input('b', 'int64', [3]);
    expect(() => g.scope('head', () => add(a, b))).toThrow(DTypeError);
    expect(() => g.scope('head', () => add(a, b))).toThrow(
      /head: add: operands have different dtypes \(float32\[3\], int64\[3\]\)/,
    );
    const i = g.input('i', 'int64', [3, 3]);
    expect(() => matmul(i, i)).toThrow(/matmul: got int64\[3,3\], expected float32/);
  });
});

import type { Value } from '../graph/graph.js';
import { cast, equal } from '../ops/elementwise.js';
import { argmax, mean } from '../ops/reduce.js';

/** Fraction of rows whose argmax over the last axis equals the int64 target. logits: [N, C], y: [N]. */
export function argmaxAccuracy(logits: Value, y: Value): Value {
  return mean(cast(equal(argmax(logits, -1), y), 'float32'));
}

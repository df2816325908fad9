/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the sampler and the log-density.
 */
import { encodeOnnx, ops, Rng } from '@genmodels/runtime';
import { FamilyStore } from '@genmodels/runtime/internal';
import { type FlowConfig, flowParameterCount, resolveConfig } from './config.js';
import { FlowError } from './errors.js';
import { FlowNetwork } from './network.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE, MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first: 'sampler' (z -> x) and 'log_density' (x -> log p(x)). */
export const FLOW_PARTS = ['sampler', 'log_density'] as const;

/**
 * The family's model directory (family 'flow', preset and config in metadata and config.json;
 * ONNX exports written with the family's error).
 */
export const flowStore = new FamilyStore<FlowConfig, FlowNetwork>({
  family: 'flow',
  label: 'flow',
  fail: (m) => new FlowError(m),
  resolve: resolveConfig,
  build: (cfg) => new FlowNetwork(cfg, new Rng(0)),
  parameters: flowParameterCount,
});

/**
 * `part` as an ONNX model's bytes: 'sampler' maps z [batch, D] ~ N(0, I) to x [batch, D]
 * (pixel configs: dequantized pixels in [0, 1]); 'log_density' maps x [batch, D] to
 * log_prob [batch] in nats (pixel configs: the density of y in [0, 1]^D, logit Jacobian
 * included).
 */
export function flowOnnx(net: FlowNetwork, part: string): Uint8Array {
  const d = net.cfg.dim;
  const meta = { config: { family: 'flow', part, ...net.cfg } };
  if (part === 'sampler')
    return encodeOnnx(
      net,
      { z: { dtype: 'float32', shape: ['batch', d] } },
      (i) => ({ x: ops.identity(net.inverse(i.z)) }),
      { ...meta, name: 'flow_sampler' },
    );
  if (part === 'log_density')
    return encodeOnnx(
      net,
      { x: { dtype: 'float32', shape: ['batch', d] } },
      (i) => ({ log_prob: ops.identity(net.logProb(i.x)) }),
      { ...meta, name: 'flow_log_density' },
    );
  throw new FlowError(`unknown flow part '${part}'; expected one of ${FLOW_PARTS.join(', ')}`);
}

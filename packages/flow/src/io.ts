/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the sampler and the log-density.
 */
import { encodeOnnx, ops, Rng } from '@genmodels/runtime';
import { FamilyStore } from '@genmodels/runtime/internal';
import { type FlowConfig, flowParameterCount, resolveConfig } from './config.js';
import { FlowError } from './errors.js';
import { FlowNetwork } from './network.js';
import { type FlowFields, type Normalization, readFlowFields } from './normalize.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE, MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first: 'sampler' (z -> x) and 'log_density' (x -> log p(x)). */
export const FLOW_PARTS = ['sampler', 'log_density'] as const;

/**
 * The family's model directory (family 'flow', preset and config in metadata and config.json;
 * ONNX exports written with the family's error). A flow trained on the user's points also
 * stores `trainedOn: 'data'`, its `normalization` (mean/std) and the data's provenance; a
 * preset's checkpoint stores none of them (read as 'preset', null).
 */
export const flowStore = new FamilyStore<FlowConfig, FlowNetwork, FlowFields>({
  family: 'flow',
  label: 'flow',
  fail: (m) => new FlowError(m),
  resolve: resolveConfig,
  build: (cfg) => new FlowNetwork(cfg, new Rng(0)),
  parameters: flowParameterCount,
  fields: readFlowFields,
});

/**
 * `part` as an ONNX model's bytes: 'sampler' maps z [batch, D] ~ N(0, I) to x [batch, D]
 * (pixel configs: dequantized pixels in [0, 1]); 'log_density' maps x [batch, D] to
 * log_prob [batch] in nats (pixel configs: the density of y in [0, 1]^D, logit Jacobian
 * included). A flow trained on standardized points works in standardized units u =
 * (x - mean) / std: the sampler outputs u, log_density takes u and gives log p(u) (log p(x)
 * = log p(u) - sum log std); mean and std are in the metadata as `genmodels.normalization`
 * (and in config.json).
 */
export function flowOnnx(
  net: FlowNetwork,
  part: string,
  normalization: Normalization | null = null,
): Uint8Array {
  const d = net.cfg.dim;
  const meta = {
    config: { family: 'flow', part, ...net.cfg },
    ...(normalization && {
      metadata: { 'genmodels.normalization': JSON.stringify(normalization) },
    }),
  };
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

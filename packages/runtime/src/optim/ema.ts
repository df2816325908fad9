/**
 * Exponential moving average of weights on the host (Polyak averaging): a generator's or a
 * denoiser's weights averaged over training, used for sampling. Stored in a checkpoint
 * beside the state dict under a prefix (`ema.`).
 */
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Prefix of the EMA copies in a state dict (`ema.<name>`). */
export const EMA_PREFIX = 'ema.';

/**
 * In place: ema <- decay * ema + (1 - decay) * value, for every key of `ema`.
 *
 * @example emaUpdate(ema, await step.parameters(), 0.999);
 */
export function emaUpdate(
  ema: Record<string, Tensor>,
  value: Readonly<Record<string, Tensor>>,
  decay: number,
): void {
  if (!(decay >= 0 && decay <= 1))
    throw new RangeError(`emaUpdate: decay ${decay} is not in [0, 1]`);
  for (const [k, e] of Object.entries(ema)) {
    const v = value[k];
    if (!v || v.size !== e.size || v.dtype !== 'float32' || e.dtype !== 'float32')
      throw new ShapeError(`emaUpdate: '${k}' is missing, resized or not float32`);
    const a = e.data as Float32Array;
    const b = v.data as Float32Array;
    for (let i = 0; i < a.length; i++) a[i] = decay * a[i] + (1 - decay) * b[i];
  }
}

/** `{ [prefix + name]: t }` for a checkpoint's extra tensors. */
export function withPrefix(
  tensors: Readonly<Record<string, Tensor>> | undefined,
  prefix = EMA_PREFIX,
): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(tensors ?? {}).map(([k, t]) => [prefix + k, t]));
}

/**
 * Split a loaded state dict into the module's own tensors and the ones under `prefix`
 * (prefix removed); `prefixed` is undefined when there are none.
 */
export function splitPrefixed(
  stateDict: Readonly<Record<string, Tensor>>,
  prefix = EMA_PREFIX,
): { own: Record<string, Tensor>; prefixed?: Record<string, Tensor> } {
  const own: Record<string, Tensor> = {};
  const prefixed: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(stateDict)) {
    if (k.startsWith(prefix)) prefixed[k.slice(prefix.length)] = t;
    else own[k] = t;
  }
  return { own, prefixed: Object.keys(prefixed).length > 0 ? prefixed : undefined };
}

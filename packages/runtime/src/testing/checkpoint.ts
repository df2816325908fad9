/** Checkpoint files changed for tests of what loaders do with them. */

/**
 * The same safetensors bytes with the metadata replaced by `{ format: 'pt' }`, as PyTorch
 * writes it: no stored family or config, so a loader falls back to config.json. Tensor
 * entries and data are untouched.
 *
 * @example await Model.load(rt, { 'model.safetensors': withoutStoredConfig(bytes), 'config.json': text });
 */
export function withoutStoredConfig(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  header.__metadata__ = { format: 'pt' };
  let text = JSON.stringify(header);
  while ((8 + text.length) % 8 !== 0) text += ' ';
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(bytes.subarray(8 + n), 8 + h.length);
  return out;
}

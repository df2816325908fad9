/**
 * zlib inflation in browsers and Web Workers: `DecompressionStream('deflate')` (the zlib
 * format), copied into one buffer of at most `maxBytes`. Same exports as `node.ts`.
 */

/** Inflation failed: corrupt data, a bad checksum, or output over the limit; the message is a short phrase. */
export class InflateError extends Error {}

/**
 * Inflate a zlib stream (RFC 1950) to at most `maxBytes` bytes; a stream that expands to
 * more is refused before more is kept (a decompression bomb).
 */
export async function inflateZlib(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const reader = new Blob([data as BlobPart])
    .stream()
    .pipeThrough(new DecompressionStream('deflate'))
    .getReader();
  const out = new Uint8Array(maxBytes);
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.length > maxBytes) {
        await reader.cancel();
        throw new InflateError(`expands to more than ${maxBytes} bytes`);
      }
      out.set(value, total);
      total += value.length;
    }
  } catch (e) {
    if (e instanceof InflateError) throw e;
    throw new InflateError((e as Error).message);
  }
  return out.subarray(0, total);
}

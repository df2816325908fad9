/**
 * zlib inflation for the CIFAR-10 PNG batches, on Node.js: the native zlib, off the main
 * thread (about five times faster than a JavaScript inflater on these 23 MB files). The
 * browser twin is `web.ts`; the package's `#inflate` import picks one (package.json
 * "imports"), so browser bundles never see `node:zlib`. Both export the same names.
 */
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';

const inflateAsync = promisify(inflate);

/** Inflation failed: corrupt data, a bad checksum, or output over the limit; the message is a short phrase. */
export class InflateError extends Error {}

/**
 * Inflate a zlib stream (RFC 1950) to at most `maxBytes` bytes; a stream that expands to
 * more is refused before more is kept (a decompression bomb).
 */
export async function inflateZlib(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    const out = await inflateAsync(data, { maxOutputLength: Math.max(1, maxBytes) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw new InflateError(`expands to more than ${maxBytes} bytes`);
    throw new InflateError(err.message);
  }
}

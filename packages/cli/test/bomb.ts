/**
 * A gzip bomb for the reader tests: an IDX images header claiming `mib` MiB of 28x28
 * images, then that many zeros, compressed as a stream (the inflated file is never in
 * memory); about 1 KB per MiB.
 */
import { createGzip } from 'node:zlib';

export function gzipBomb(mib: number): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const z = createGzip({ level: 9 });
    const parts: Buffer[] = [];
    z.on('data', (d: Buffer) => parts.push(d));
    z.on('end', () => resolve(new Uint8Array(Buffer.concat(parts))));
    const head = Buffer.alloc(16);
    head.writeUInt32BE(0x803, 0);
    head.writeUInt32BE(Math.floor((mib * 1024 * 1024) / 784), 4);
    head.writeUInt32BE(28, 8);
    head.writeUInt32BE(28, 12);
    z.write(head);
    const mb = Buffer.alloc(1 << 20);
    let left = mib;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!z.write(mb)) return void z.once('drain', pump);
      }
      z.end();
    };
    pump();
  });
}

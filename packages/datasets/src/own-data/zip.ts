/**
 * Just enough of the zip format for `.npz` files: the central directory (zip64 included, as
 * numpy writes it for large arrays), stored and deflated entries, CRC-32 checks. Inflation
 * goes through `fflate`'s streaming `Inflate` into a buffer of the size the caller allows,
 * so a lying size field or a decompression bomb stops at that bound.
 */
import { Inflate } from 'fflate';

/** Something wrong with the zip structure; the caller adds the file's name. */
export class BadZip extends Error {}

/** One file in a zip. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's data in the zip. */
  dataStart: number;
}

const u16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u32 = (b: Uint8Array, i: number) =>
  (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
function u64(b: Uint8Array, i: number): number {
  const hi = u32(b, i + 4);
  if (hi >= 2 ** 21) throw new BadZip(`a 64-bit size or offset at byte ${i} is beyond 2^53`);
  return hi * 2 ** 32 + u32(b, i);
}

/** The entries of a zip, from its central directory. */
export function zipEntries(b: Uint8Array): ZipEntry[] {
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--)
    if (u32(b, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new BadZip('not a zip file (no end-of-central-directory record)');
  let count = u16(b, eocd + 10);
  let cdSize = u32(b, eocd + 12);
  let cdOffset = u32(b, eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(b, loc) !== 0x07064b50)
      throw new BadZip('zip64 fields without a zip64 locator');
    const z = u64(b, loc + 8);
    if (z + 56 > b.length || u32(b, z) !== 0x06064b50) throw new BadZip('bad zip64 end record');
    count = u64(b, z + 32);
    cdSize = u64(b, z + 40);
    cdOffset = u64(b, z + 48);
  }
  if (cdOffset + cdSize > b.length || count > cdSize / 46)
    throw new BadZip(
      `central directory (${count} entries, ${cdSize} bytes at byte ${cdOffset}) does not fit in the ${b.length}-byte file (truncated?)`,
    );
  const out: ZipEntry[] = [];
  let at = cdOffset;
  const names = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (at + 46 > cdOffset + cdSize || u32(b, at) !== 0x02014b50)
      throw new BadZip(`central directory entry ${k} is malformed`);
    const flags = u16(b, at + 8);
    const method = u16(b, at + 10);
    const crc = u32(b, at + 16);
    let compressedSize = u32(b, at + 20);
    let size = u32(b, at + 24);
    const nameLen = u16(b, at + 28);
    const extraLen = u16(b, at + 30);
    const commentLen = u16(b, at + 32);
    let local = u32(b, at + 42);
    if (at + 46 + nameLen + extraLen > b.length)
      throw new BadZip(`central directory entry ${k} is truncated`);
    const name = names.decode(b.subarray(at + 46, at + 46 + nameLen));
    // zip64 extra field: the 64-bit values of the fields that hold 0xFFFFFFFF, in order.
    for (let e = at + 46 + nameLen; e + 4 <= at + 46 + nameLen + extraLen; ) {
      const id = u16(b, e);
      const len = u16(b, e + 2);
      if (id === 0x0001) {
        let p = e + 4;
        if (size === 0xffffffff) {
          size = u64(b, p);
          p += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(b, p);
          p += 8;
        }
        if (local === 0xffffffff) local = u64(b, p);
      }
      e += 4 + len;
    }
    if (flags & 1) throw new BadZip(`entry '${name}' is encrypted`);
    if (local + 30 > b.length || u32(b, local) !== 0x04034b50)
      throw new BadZip(`entry '${name}' has no local header at byte ${local}`);
    const dataStart = local + 30 + u16(b, local + 26) + u16(b, local + 28);
    if (dataStart + compressedSize > b.length)
      throw new BadZip(
        `entry '${name}' declares ${compressedSize} bytes at byte ${dataStart}, past the end of the ${b.length}-byte file (truncated?)`,
      );
    out.push({ name, method, crc, compressedSize, size, dataStart });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (the zip / PNG polynomial). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The entry's content, exactly `entry.size` bytes (the caller has checked that size against
 * its budget). `check(head)` sees the output as it grows and may throw (e.g. once a header
 * in it says the size is wrong). A stream that inflates to more or fewer bytes, or whose
 * CRC-32 differs, is BadZip.
 */
export function entryContent(
  b: Uint8Array,
  entry: ZipEntry,
  check: (head: Uint8Array) => void = () => {},
): Uint8Array {
  const raw = b.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size)
      throw new BadZip(
        `stored entry '${entry.name}' has ${entry.compressedSize} bytes but declares ${entry.size}`,
      );
    out = raw;
    check(out);
  } else if (entry.method === 8) {
    out = new Uint8Array(entry.size);
    let total = 0;
    const inflater = new Inflate((chunk) => {
      if (total + chunk.length > out.length)
        throw new BadZip(
          `entry '${entry.name}' inflates to more than the ${entry.size} bytes it declares`,
        );
      out.set(chunk, total);
      total += chunk.length;
      check(out.subarray(0, total));
    });
    try {
      const step = 1 << 16;
      for (let i = 0; i < raw.length; i += step)
        inflater.push(raw.subarray(i, Math.min(raw.length, i + step)), i + step >= raw.length);
      if (raw.length === 0) inflater.push(raw, true);
    } catch (e) {
      if (!(e instanceof Error) || e.constructor !== Error) throw e;
      throw new BadZip(
        `entry '${entry.name}' is not valid deflate data (${e.message.slice(0, 80)})`,
      );
    }
    if (total !== entry.size)
      throw new BadZip(
        `entry '${entry.name}' inflates to ${total} bytes but declares ${entry.size}`,
      );
  } else
    throw new BadZip(
      `entry '${entry.name}' uses compression method ${entry.method} (only stored and deflated are read)`,
    );
  if (crc32(out) !== entry.crc)
    throw new BadZip(`entry '${entry.name}' fails its CRC-32 check (corrupt)`);
  return out;
}

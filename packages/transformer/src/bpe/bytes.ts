/**
 * GPT-2's byte alphabet: every byte stands for one printable character, so a byte string
 * is an ordinary string and BPE tokens are ordinary strings of those characters. The 188
 * printable bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves; the other
 * 68, in byte order, for U+0100, U+0101, ... (a space is 'Ġ' U+0120, a newline 'Ċ' U+010A).
 */

function standsForItself(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

function byteAlphabet(): string[] {
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) =>
    String.fromCharCode(standsForItself(b) ? b : 256 + extra++),
  );
}

/** `BYTE_TO_CHAR[b]`: the character byte `b` stands for (`BYTE_TO_CHAR[0x20] === 'Ġ'`). */
export const BYTE_TO_CHAR: readonly string[] = Object.freeze(byteAlphabet());

const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));
const utf8 = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF as Python's bytes.decode('utf-8') does (a TextDecoder
// drops it by default); fatal: false turns invalid sequences into U+FFFD, one per maximal
// invalid subpart, as Python's errors='replace' does.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** The byte that alphabet character `c` stands for, or undefined if `c` is not one of them. */
export function byteOf(c: string): number | undefined {
  return CHAR_TO_BYTE.get(c);
}

/**
 * The UTF-8 bytes of `text` as alphabet characters, one UTF-16 unit each. A lone surrogate
 * encodes as U+FFFD (what TextEncoder does; Python text cannot hold one).
 *
 * @example toByteChars(' é') // 'ĠÃ©'
 */
export function toByteChars(text: string): string {
  let s = '';
  for (const b of utf8.encode(text)) s += BYTE_TO_CHAR[b];
  return s;
}

/** The UTF-8 bytes of `text`. */
export function encodeUtf8(text: string): Uint8Array {
  return utf8.encode(text);
}

/** The first character of `token` outside the byte alphabet, or undefined if there is none. */
export function nonByteChar(token: string): string | undefined {
  for (const c of token) if (!CHAR_TO_BYTE.has(c)) return c;
  return undefined;
}

/** UTF-8 text of `bytes`; invalid sequences become U+FFFD (GPT-2's errors='replace'). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

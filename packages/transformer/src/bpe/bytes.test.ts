import { describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR, byteOf, decodeUtf8, nonByteChar, toByteChars } from './bytes.js';
import { encodings } from './testing.js';

describe('GPT-2 byte alphabet', () => {
  it('maps the 188 printable bytes to themselves and the other 68 to U+0100 onwards', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    const same = BYTE_TO_CHAR.filter((c, b) => c === String.fromCharCode(b));
    expect(same.length).toBe(188);
    const moved = BYTE_TO_CHAR.filter((c, b) => c !== String.fromCharCode(b));
    expect(moved.map((c) => c.charCodeAt(0))).toEqual(
      Array.from({ length: 68 }, (_, n) => 256 + n),
    );
    expect([
      BYTE_TO_CHAR[0x00],
      BYTE_TO_CHAR[0x0a],
      BYTE_TO_CHAR[0x20],
      BYTE_TO_CHAR[0xad],
    ]).toEqual(['Ā', 'Ċ', 'Ġ', 'Ń']);
    expect(BYTE_TO_CHAR.map(byteOf)).toEqual(Array.from({ length: 256 }, (_, b) => b));
  });

  it('writes UTF-8 bytes as alphabet characters and finds characters outside it', () => {
    expect(toByteChars(' é\n')).toBe('ĠÃ©Ċ');
    expect(toByteChars('😀')).toBe('ðŁĺĢ');
    expect(toByteChars('\ud800')).toBe(toByteChars('\ufffd')); // a lone surrogate: U+FFFD
    expect(nonByteChar('ĠÃ©')).toBeUndefined();
    expect(nonByteChar('a b')).toBe(' ');
    expect(byteOf(' ')).toBeUndefined();
  });

  it("decodes invalid UTF-8 as Python's errors='replace' does", () => {
    const cases = encodings().decode;
    expect(cases.length).toBeGreaterThan(5);
    for (const { bytes, text } of cases)
      expect(decodeUtf8(Uint8Array.from(bytes)), JSON.stringify(bytes)).toBe(text);
    expect(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]))).toBe('\ufeffA'); // BOM kept
  });
});

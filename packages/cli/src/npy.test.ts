import { describe, expect, it } from 'vitest';
import { encodeNpy } from './npy.js';

function header(bytes: Uint8Array): { len: number; text: string } {
  const len = new DataView(bytes.buffer).getUint16(8, true);
  return { len, text: new TextDecoder().decode(bytes.subarray(10, 10 + len)) };
}

describe('encodeNpy', () => {
  it('writes magic, version 1.0, a 64-byte aligned header and little-endian float32', () => {
    const bytes = encodeNpy([2, 3], new Float32Array([1, 2, 3, 4, 5, 6.5]));
    expect([...bytes.subarray(0, 8)]).toEqual([0x93, 78, 85, 77, 80, 89, 1, 0]);
    const { len, text } = header(bytes);
    expect((10 + len) % 64).toBe(0);
    expect(text).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    const data = new Float32Array(bytes.slice(10 + len).buffer);
    expect([...data]).toEqual([1, 2, 3, 4, 5, 6.5]);
  });

  it('spells 1-d and 0-d shapes as Python tuples', () => {
    expect(header(encodeNpy([4], new Float32Array(4))).text).toContain("'shape': (4,)");
    expect(header(encodeNpy([], new Float32Array(1))).text).toContain("'shape': ()");
  });

  it('rejects data that does not fit the shape', () => {
    expect(() => encodeNpy([2, 2], new Float32Array(3))).toThrow(/needs 4 values, got 3/);
  });
});

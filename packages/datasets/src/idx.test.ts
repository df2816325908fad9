import { describe, expect, it } from 'vitest';
import {
  encodeIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  IdxError,
  isGzip,
  parseIdx,
} from './idx.js';

describe('parseIdx', () => {
  it('round-trips encodeIdx without copying the payload', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    const file = encodeIdx([2, 3, 4], data);
    expect(Array.from(file.subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 2]);
    const parsed = parseIdx(file, { magic: IDX_IMAGES_MAGIC });
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
    expect(parsed.data.buffer).toBe(file.buffer);
    expect(parsed.data.byteOffset).toBe(16);
  });

  it('works on a view that does not start at byte 0 of its buffer', () => {
    const file = encodeIdx([3], new Uint8Array([7, 8, 9]));
    const padded = new Uint8Array(file.length + 5);
    padded.set(file, 5);
    const parsed = parseIdx(padded.subarray(5), { magic: IDX_LABELS_MAGIC, source: 'lab' });
    expect(Array.from(parsed.data)).toEqual([7, 8, 9]);
  });

  it('rejects gzip, short headers, wrong magic, wrong sizes', () => {
    const labels = encodeIdx([3], new Uint8Array([1, 2, 3]));
    expect(isGzip(labels)).toBe(false);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]), { magic: IDX_LABELS_MAGIC })).toThrow(
      /gzip-compressed; gunzip it first/,
    );
    expect(() =>
      parseIdx(new Uint8Array([0, 0]), { magic: IDX_LABELS_MAGIC, source: 'f' }),
    ).toThrow('f: truncated: 2 bytes, too short for an IDX header');
    expect(() => parseIdx(labels.subarray(0, 6), { magic: IDX_LABELS_MAGIC })).toThrow(
      /header needs 8 bytes for 1 dims but the file has 6/,
    );
    expect(() => parseIdx(labels, { magic: IDX_IMAGES_MAGIC, source: 'f' })).toThrow(
      'f: wrong magic number 0x00000801; expected 0x00000803 for IDX images (uint8, 3 dims)',
    );
    expect(() =>
      parseIdx(labels.subarray(0, 10), { magic: IDX_LABELS_MAGIC, source: 'f' }),
    ).toThrow('f: truncated: declares 3 labels (11 bytes) but has 10');
    const long = new Uint8Array(12);
    long.set(labels);
    expect(() => parseIdx(long, { magic: IDX_LABELS_MAGIC, source: 'f' })).toThrow(
      'f: trailing bytes: declares 3 labels (11 bytes) but has 12',
    );
    expect(() => encodeIdx([2], new Uint8Array(3))).toThrow(IdxError);
  });
});

import { Tensor } from '@genmodels/runtime';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { encodePng, imageGrid, PictureError, toByte } from './png.js';

/** Decode PNG bytes and return a pixel getter plus the header. */
function decoded(png: Uint8Array) {
  const img = decode(png);
  const px = (x: number, y: number) =>
    Array.from(
      img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x + 1) * img.channels),
    );
  return { ...img, px };
}

/** N images [N, C, H, W] where image k is constant value f(k, c). */
function constImages(
  n: number,
  c: number,
  h: number,
  w: number,
  f: (k: number, ch: number) => number,
) {
  const data = new Float32Array(n * c * h * w);
  for (let k = 0; k < n; k++)
    for (let ch = 0; ch < c; ch++)
      data.fill(f(k, ch), (k * c + ch) * h * w, (k * c + ch + 1) * h * w);
  return new Tensor('float32', [n, c, h, w], data);
}

describe('imageGrid + encodePng', () => {
  it('lays tiles out row by row with padding between and around them', () => {
    const x = constImages(5, 1, 2, 3, (k) => (k + 1) / 5);
    const grid = imageGrid(x, { range: '01', nrow: 3, padding: 1 });
    const img = decoded(encodePng(grid));
    expect([img.width, img.height, img.channels, img.depth]).toEqual([13, 7, 1, 8]);
    for (let k = 0; k < 5; k++) {
      const x0 = 1 + (k % 3) * 4;
      const y0 = 1 + Math.floor(k / 3) * 3;
      const v = Math.round(((k + 1) / 5) * 255);
      expect([img.px(x0, y0), img.px(x0 + 2, y0 + 1)]).toEqual([[v], [v]]);
      expect(img.px(x0 - 1, y0)).toEqual([0]); // padding left of the tile
      expect(img.px(x0 + 3, y0 + 1)).toEqual([0]); // padding right of the tile
    }
    expect(img.px(9, 4)).toEqual([0]); // empty 6th slot holds the pad value
    expect(img.px(0, 0)).toEqual([0]);
  });

  it('uses padValue in the image range and defaults nrow to ceil(sqrt(N))', () => {
    const grid = imageGrid(
      constImages(10, 1, 28, 28, () => 0),
      {
        range: '-11',
        padValue: 1,
      },
    );
    // 10 images -> 4 per row, 3 rows, padding 2.
    expect([grid.width, grid.height]).toEqual([4 * 30 + 2, 3 * 30 + 2]);
    const img = decoded(encodePng(grid));
    expect(img.px(0, 0)).toEqual([255]);
    expect(img.px(2, 2)).toEqual([128]); // 0 in [-1, 1] is mid gray
    expect(
      imageGrid(
        constImages(1, 1, 1, 1, () => 0.5),
        { range: '01', padding: 0 },
      ).width,
    ).toBe(1);
  });

  it('maps [-1, 1] and [0, 1] to bytes, clamping out-of-range values and NaN', () => {
    const vals = [-1, 0, 1, -2, 2, Number.NaN, -0.5, 0.999];
    const x = new Tensor('float32', [1, 1, 1, vals.length], Float32Array.from(vals));
    const m11 = decoded(encodePng(imageGrid(x, { range: '-11', padding: 0 })));
    expect(Array.from(m11.data)).toEqual([0, 128, 255, 0, 255, 0, 64, 255]);
    const u01 = decoded(encodePng(imageGrid(x, { range: '01', padding: 0 })));
    expect(Array.from(u01.data)).toEqual([0, 0, 255, 0, 255, 0, 0, 255]);
    expect(toByte(0.5, '01')).toBe(128);
    expect(toByte(0.2, '01')).toBe(51);
  });

  it('interleaves RGB channels', () => {
    const x = constImages(2, 3, 2, 2, (k, ch) => [1, 0, 0.5][ch] * (k === 0 ? 1 : 0));
    const img = decoded(encodePng(imageGrid(x, { range: '01', nrow: 2, padding: 1 })));
    expect(img.channels).toBe(3);
    expect(img.px(1, 1)).toEqual([255, 0, 128]);
    expect(img.px(4, 1)).toEqual([0, 0, 0]);
  });

  it('rejects bad inputs with PictureError naming what was expected', () => {
    const bad: [() => unknown, RegExp][] = [
      [
        () => imageGrid(Tensor.zeros([2, 28, 28]), { range: '01' }),
        /\[N, C, H, W\].*float32\[2,28,28\]/,
      ],
      [() => imageGrid(Tensor.zeros([1, 2, 4, 4]), { range: '01' }), /1 or 3 channels, got C=2/],
      [() => imageGrid(Tensor.zeros([1, 1, 4, 4], 'int32'), { range: '01' }), /int32/],
      [() => imageGrid(Tensor.zeros([0, 1, 4, 4]), { range: '01' }), /empty batch/],
      [
        () => imageGrid(Tensor.zeros([1, 1, 4, 4]), { range: '01', nrow: 0 }),
        /nrow must be an integer >= 1/,
      ],
      [() => imageGrid(Tensor.zeros([1, 1, 4, 4]), { range: '01', padding: -1 }), /padding/],
      [() => imageGrid(Tensor.zeros([1, 1, 4, 4]), { range: '0255' as never }), /range must be/],
      [
        () => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }),
        /needs 4 bytes, got 3/,
      ],
      [
        () => encodePng({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) }),
        /positive integers/,
      ],
    ];
    for (const [fn, msg] of bad) {
      expect(fn).toThrow(PictureError);
      expect(fn).toThrow(msg);
    }
  });

  it('writes tEXt chunks when given', () => {
    const png = encodePng(
      { width: 1, height: 1, channels: 1, data: new Uint8Array([7]) },
      { Title: 'hi' },
    );
    expect(decode(png).text).toEqual({ Title: 'hi' });
  });
});

import { Tensor } from '@genmodels/runtime';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { densityHeatmap, NAMED_COLORS, parseColor, scatterPlot, viridis } from './plot.js';
import { PictureError } from './png.js';

function pixel(png: Uint8Array, x: number, y: number): number[] {
  const img = decode(png);
  const o = (y * img.width + x) * img.channels;
  return Array.from(img.data.subarray(o, o + img.channels));
}

/** Tags are balanced: every opening tag is closed in order (self-closing tags skipped). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const [, close, name, self] of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    if (self) continue;
    if (!close) stack.push(name);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

const luma = ([r, g, b]: readonly number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
const box = { xmin: 0, xmax: 10, ymin: 0, ymax: 10 };

describe('parseColor', () => {
  it('reads hex, names and byte triples, and rejects anything else', () => {
    expect(parseColor('#f80')).toEqual([255, 136, 0]);
    expect(parseColor('#1F77b4')).toEqual([31, 119, 180]);
    expect(parseColor('Orange')).toEqual(NAMED_COLORS.orange);
    expect(parseColor([1, 2, 3])).toEqual([1, 2, 3]);
    expect(() => parseColor('#12345')).toThrow(/unknown color '#12345'/);
    expect(() => parseColor([0, 256, 0])).toThrow(PictureError);
  });
});

describe('scatterPlot', () => {
  it('puts dots where the data says, with y up, later sets on top', () => {
    const red = Float32Array.from([5, 5, 2, 8]);
    const blue = Float32Array.from([5, 5]);
    const { png, image } = scatterPlot(
      [
        { points: red, color: 'red' },
        { points: blue, color: '#0000ff' },
      ],
      { width: 100, height: 100, bounds: box, opacity: 1, radius: 2 },
    );
    expect([image.width, image.height, decode(png).channels]).toEqual([100, 100, 3]);
    expect(pixel(png, 50, 50)).toEqual([0, 0, 255]); // blue drawn over red
    expect(pixel(png, 20, 20)).toEqual([...NAMED_COLORS.red]); // (2, 8) is top-left
    expect(pixel(png, 20, 80)).toEqual([255, 255, 255]); // not flipped
    expect(pixel(png, 24, 20)).toEqual([255, 255, 255]); // radius 2 stays small
    expect(pixel(png, 0, 37)).toEqual([153, 153, 153]); // frame
  });

  it('blends dots with the given opacity', () => {
    const { png } = scatterPlot([{ points: Float32Array.from([5, 5]), color: [0, 0, 0] }], {
      width: 10,
      height: 10,
      bounds: box,
      opacity: 0.5,
    });
    expect(pixel(png, 5, 5)).toEqual([128, 128, 128]);
  });

  it('emits one circle per in-bounds point, a legend, and well-formed SVG', () => {
    const data = new Tensor('float32', [4, 2], Float32Array.from([1, 1, 9, 9, 11, 5, 5, -1]));
    const samples = Float32Array.from([3, 3, 4, 4, Number.NaN, 1]);
    const { svg } = scatterPlot(
      [
        { points: data, color: 'blue', label: 'data' },
        { points: samples, color: 'orange', label: 'x<y & "z"' },
      ],
      { width: 50, height: 40, bounds: box },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg.match(/<circle /g)?.length).toBe(4);
    expect(svg).toContain('<circle cx="5.00" cy="36.00" r="1.5"/>'); // (1, 1)
    expect(svg).toContain('>data</text>');
    expect(svg).toContain('>x&lt;y &amp; &quot;z&quot;</text>');
    expect(balanced(svg)).toBe(true);
    expect(balanced('<svg><g></svg>')).toBe(false);
  });

  it('fits default bounds around all points', () => {
    const pts = Float32Array.from([-3, 7, 100, -40, 0, 0]);
    const { svg } = scatterPlot([{ points: pts, color: 'black' }]);
    expect(svg.match(/<circle /g)?.length).toBe(3);
    expect(svg).toContain('width="400" height="400"');
  });

  it('rejects bad shapes, bounds and sizes', () => {
    const p = Float32Array.from([0, 0]);
    const bad: [() => unknown, RegExp][] = [
      [
        () => scatterPlot([{ points: Tensor.zeros([3, 3]), color: 'red' }]),
        /set 0: expected float32 points \[n, 2\]/,
      ],
      [() => scatterPlot([{ points: Float32Array.from([1, 2, 3]), color: 'red' }]), /even length/],
      [
        () => scatterPlot([{ points: p, color: 'red' }], { bounds: { ...box, xmax: 0 } }),
        /xmin < xmax/,
      ],
      [() => scatterPlot([{ points: p, color: 'red' }], { width: 0 }), /width must be an integer/],
      [() => scatterPlot([{ points: p, color: 'red' }], { opacity: 0 }), /opacity/],
    ];
    for (const [fn, msg] of bad) {
      expect(fn).toThrow(PictureError);
      expect(fn).toThrow(msg);
    }
  });
});

describe('viridis', () => {
  it('runs from dark purple to yellow with lightness increasing', () => {
    expect(viridis(0)).toEqual([0x44, 0x01, 0x54]);
    expect(viridis(1)).toEqual([0xfd, 0xe7, 0x25]);
    expect(viridis(0.5)).toEqual([0x21, 0x90, 0x8c]);
    expect(viridis(-1)).toEqual(viridis(0));
    expect(viridis(Number.NaN)).toEqual(viridis(0));
    // Byte rounding may wobble a channel by one step; lightness never drops by more.
    for (let i = 1; i < 256; i++) {
      expect(luma(viridis(i / 255))).toBeGreaterThan(luma(viridis((i - 1) / 255)) - 0.5);
    }
    for (let i = 1; i <= 8; i++) {
      expect(luma(viridis(i / 8))).toBeGreaterThan(luma(viridis((i - 1) / 8)) + 10);
    }
  });
});

describe('densityHeatmap', () => {
  // Off-center bump at a cell center of a 24x24 grid on [-3, 3]^2: column 16, row 15.
  const cx = 1.125;
  const cy = -0.875;
  const bump = (p: Float32Array) =>
    Float32Array.from({ length: p.length / 2 }, (_, i) => {
      const dx = p[2 * i] - cx;
      const dy = p[2 * i + 1] - cy;
      return -(dx * dx + dy * dy) / (2 * 0.5 ** 2);
    });
  const bounds = { xmin: -3, xmax: 3, ymin: -3, ymax: 3 };

  it('is brightest at the center of a Gaussian bump and dark far away', async () => {
    const { png, image, values } = await densityHeatmap(bump, { bounds, resolution: 24 });
    const img = decode(png);
    expect([img.width, img.height, img.channels]).toEqual([24, 24, 3]);
    let best = -1;
    let arg = -1;
    for (let k = 0; k < 24 * 24; k++) {
      const l = luma(Array.from(image.data.subarray(3 * k, 3 * k + 3)));
      if (l > best) [best, arg] = [l, k];
    }
    expect([arg % 24, Math.floor(arg / 24)]).toEqual([16, 15]);
    expect(values[15 * 24 + 16]).toBeCloseTo(0, 5);
    expect(pixel(png, 16, 15)).toEqual([...viridis(1)]);
    expect(pixel(png, 0, 0)).toEqual([...viridis(0)]);
  });

  it('supports log scale, async models and fixed batch sizes', async () => {
    const sizes: number[] = [];
    const batched = async (p: Float32Array) => {
      sizes.push(p.length / 2);
      return bump(p);
    };
    const ref = await densityHeatmap(bump, { bounds, resolution: 10, scale: 'log', logRange: 8 });
    const got = await densityHeatmap(batched, {
      bounds,
      resolution: 10,
      scale: 'log',
      logRange: 8,
      batchSize: 32,
    });
    expect(sizes).toEqual([32, 32, 32, 32]);
    expect(Array.from(got.values)).toEqual(Array.from(ref.values));
    expect(Array.from(got.image.data)).toEqual(Array.from(ref.image.data));
    const max = Math.max(...ref.values);
    const k = ref.values.findIndex((v) => v < max - 1 && v > max - 7);
    const t = 1 + (ref.values[k] - max) / 8;
    expect(Array.from(ref.image.data.subarray(3 * k, 3 * k + 3))).toEqual([...viridis(t)]);
  });

  it('treats -Infinity as zero density and rejects NaN or wrong lengths', async () => {
    const empty = await densityHeatmap((p) => new Float32Array(p.length / 2).fill(-Infinity), {
      bounds,
      resolution: 4,
    });
    expect(pixel(empty.png, 3, 3)).toEqual([...viridis(0)]);
    await expect(
      densityHeatmap((p) => new Float32Array(p.length / 2).fill(Number.NaN), {
        bounds,
        resolution: 4,
      }),
    ).rejects.toThrow(/returned NaN at/);
    await expect(
      densityHeatmap(() => new Float32Array(3), { bounds, resolution: 4 }),
    ).rejects.toThrow(/Float32Array \[16\] for 16 points, got Float32Array\[3\]/);
    await expect(densityHeatmap(bump, { bounds: { ...bounds, ymin: 5 } })).rejects.toThrow(
      PictureError,
    );
  });
});

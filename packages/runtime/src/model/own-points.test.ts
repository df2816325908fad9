import { describe, expect, it } from 'vitest';
import { GenmodelsError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { fitNormalization, readPointFields, standardize, unstandardize } from './own-points.js';

const fail = (m: string) => new GenmodelsError(m);

describe('point fields', () => {
  it('standardizes per column and back; a constant column keeps std 1', () => {
    const x = new Tensor('float32', [3, 2], Float32Array.from([1, 5, 3, 5, 5, 5]));
    const n = fitNormalization(x);
    expect(n.mean).toEqual([3, 5]);
    expect(n.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(n.std[1]).toBe(1);
    const z = standardize(x, n);
    expect([...z.data].filter((_, i) => i % 2 === 1)).toEqual([0, 0, 0]);
    const back = unstandardize(z, n);
    for (let i = 0; i < 6; i++) expect(back.data[i]).toBeCloseTo(x.data[i], 6);
  });

  it('reads old checkpoints as trained on the preset; names a malformed field', () => {
    expect(readPointFields({}, "'d'", 'GAN', fail)).toEqual({
      trainedOn: 'preset',
      normalization: null,
    });
    const data = {
      source: 'p.csv',
      shape: [10, 2],
      normalization: 'standardize',
      split: { valFraction: 0.1, seed: 0, trainRows: 9, valRows: 1 },
    };
    const ok = { trainedOn: 'data', normalization: { mean: [0, 1], std: [1, 2] }, data };
    expect(readPointFields(ok, "'d'", 'GAN', fail)).toEqual(ok);
    for (const [bad, message] of [
      [
        { trainedOn: 'moons' },
        /'d': GAN stored fields: trainedOn \("moons"\) must be one of "preset", "data"/,
      ],
      [{ normalization: { mean: [0], std: [0] } }, /normalization\.std\.0 \(0\) must be > 0/],
      [{ normalization: { mean: [0, 1], std: [1] } }, /mean and std must have one length/],
      [
        { normalization: { mean: [Number.POSITIVE_INFINITY], std: [1] } },
        /normalization\.mean\.0 \(null\) must be/,
      ],
      [{ data: { ...data, split: null } }, /data\.split \(null\) must be an object/],
      [
        { data: { ...data, source: 'x'.repeat(5000) } },
        /data\.source .* must have at most 4096 characters/,
      ],
    ] as const) {
      expect(
        () => readPointFields(bad as never, "'d'", 'GAN', fail),
        JSON.stringify(bad).slice(0, 80),
      ).toThrow(message);
    }
  });
});

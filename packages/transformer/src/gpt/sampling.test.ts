import { describe, expect, it } from 'vitest';
import { scoringWindows } from './data.js';
import { GptError } from './errors.js';
import { checkSampling, pickToken, StopScanner } from './sampling.js';
import { Vocabulary } from './vocab.js';

/** How often each token is picked over a fine grid of u in [0, 1). */
function histogram(logits: number[], o: Parameters<typeof pickToken>[1], n = 10000): number[] {
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[pickToken(logits, o, (i + 0.5) / n)]++;
  return counts.map((c) => c / n);
}

const softmax = (x: number[], t = 1) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp((v - m) / t));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

describe('pickToken', () => {
  const logits = [0.5, 2, -1, 1.5, 0];

  it('draws from softmax(logits / temperature) by the cumulative mass', () => {
    const want = softmax(logits, 0.7);
    const got = histogram(logits, { temperature: 0.7 });
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], 3);
  });

  it('temperature 0 and top-k 1 give the argmax (the first on ties)', () => {
    for (const u of [0, 0.3, 0.999]) {
      expect(pickToken(logits, { temperature: 0 }, u)).toBe(1);
      expect(pickToken(logits, { topK: 1, temperature: 5 }, u)).toBe(1);
    }
    expect(pickToken([1, 3, 3], { temperature: 0 }, 0.9)).toBe(1);
  });

  it('top-k keeps the k most likely tokens, renormalized', () => {
    const h = histogram(logits, { topK: 2 });
    const want = softmax([2, 1.5]);
    expect(h[1]).toBeCloseTo(want[0], 3);
    expect(h[3]).toBeCloseTo(want[1], 3);
    expect(h[0] + h[2] + h[4]).toBe(0);
  });

  it('top-p keeps the smallest most likely set with mass >= p', () => {
    const p = softmax(logits); // sorted: 1 (0.50), 3 (0.30), 0 (0.11), 4 (0.07), 2 (0.02)
    const h = histogram(logits, { topP: 0.6 });
    const z = p[1] + p[3];
    expect(h[1]).toBeCloseTo(p[1] / z, 3);
    expect(h[3]).toBeCloseTo(p[3] / z, 3);
    expect(h[0] + h[2] + h[4]).toBe(0);
    expect(histogram(logits, { topP: 0.85 })[0]).toBeGreaterThan(0); // 0.80 < 0.85: token 0 joins
  });

  it('validates its options', () => {
    expect(() => checkSampling({ temperature: -1 })).toThrow(GptError);
    expect(() => checkSampling({ topK: 1.5 })).toThrow('topK (1.5) must be an integer >= 0');
    expect(() => checkSampling({ topP: 1.5 })).toThrow('topP (1.5) must be in (0, 1]');
    expect(() => checkSampling({ temperature: 0.5, topK: 3, topP: 0.9 })).not.toThrow();
  });
});

describe('StopScanner', () => {
  it('cuts at the first stop string and holds back a possible start of one', () => {
    const s = new StopScanner(['\n\n', 'END']);
    const shown: string[] = [];
    for (const c of 'ab\ncE') {
      s.push(c);
      shown.push(s.flush());
    }
    // '\n' and 'E' may start a stop string: held back until they cannot.
    expect(shown).toEqual(['a', 'b', '', '\nc', '']);
    expect(s.push('N')).toBe(false);
    expect(s.push('D')).toBe(true);
    expect(s.text).toBe('ab\nc');
    expect(s.flush()).toBe('');
    expect(s.push('x')).toBe(true); // stays stopped
  });

  it('flushes everything at the end and rejects empty stop strings', () => {
    const s = new StopScanner(['xyz']);
    s.push('abx');
    expect(s.flush()).toBe('ab');
    expect(s.flush(true)).toBe('x');
    expect(() => new StopScanner([''])).toThrow(GptError);
  });
});

describe('scoringWindows', () => {
  it.each([
    [10, 4, 2],
    [10, 4, 4],
    [11, 4, 1],
    [300, 16, 4],
    [17, 16, 4],
    [100, 8, 3],
  ])(
    'stream %i, windows %i, stride %i: every target once, with >= len - stride context',
    (n, len, stride) => {
      const ws = scoringWindows(n, len, stride);
      const hits = new Array(n).fill(0);
      ws.forEach((w, k) => {
        expect(w.start + len).toBeLessThanOrEqual(n - 1);
        for (let t = w.first; t < len; t++) {
          hits[w.start + t + 1]++; // target index
          if (k > 0) expect(t).toBeGreaterThanOrEqual(len - stride);
        }
      });
      expect(hits[0]).toBe(0);
      expect(hits.slice(1).every((h) => h === 1)).toBe(true);
    },
  );

  it('matches the documented example and refuses a short stream', () => {
    expect(scoringWindows(10, 4, 2)).toEqual([
      { start: 0, first: 0 },
      { start: 2, first: 2 },
      { start: 4, first: 2 },
      { start: 5, first: 3 },
    ]);
    expect(() => scoringWindows(4, 4, 1)).toThrow(GptError);
  });
});

describe('Vocabulary', () => {
  it('encodes, decodes and names every unknown character once', () => {
    const v = new Vocabulary(['\n', ' ', 'a', 'b']);
    expect(v.encode('ab a')).toEqual([2, 3, 1, 2]);
    expect(v.decode([3, 2, 0])).toBe('ba\n');
    expect(() => v.encode('abcxc', 'prompt')).toThrow(
      `prompt has 2 character(s) missing from the model's 4-character vocabulary: "c", "x"`,
    );
    expect(() => v.decode([4])).toThrow('id 4 is outside [0, 4)');
    expect(() => new Vocabulary(['a', 'a'])).toThrow(GptError);
  });
});

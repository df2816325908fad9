import { describe, expect, it } from 'vitest';
import { createProgress, formatSeconds, progressLine } from './progress.js';

const event = (step: number, total: number | null) => ({
  step,
  epoch: 0,
  loss: 1.5,
  metrics: {},
  samplesPerSec: 1234.4,
  eta: 65,
  total,
});

describe('progress', () => {
  it('formats a plain line with loss, samples/s and ETA', () => {
    expect(progressLine(event(3, 10))).toBe(
      'step 3/10  epoch 1  loss 1.5000  1234 samples/s  ETA 1m05s',
    );
    expect(progressLine(event(3, null))).toMatch(/^step 3 {2}/);
    expect(formatSeconds(null)).toBe('?');
    expect(formatSeconds(7.4)).toBe('7s');
  });

  it('throttles plain lines but always prints the first and the last', () => {
    let out = '';
    const p = createProgress({ write: (s: string) => (out += s), isTTY: false }, 60_000);
    for (let i = 1; i <= 5; i++) p.update(event(i, 5));
    p.done();
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => l.split('  ')[0]),
    ).toEqual(['step 1/5', 'step 5/5']);
  });

  it('prints the pending last line on done when the total is unknown', () => {
    let out = '';
    const p = createProgress({ write: (s: string) => (out += s), isTTY: false }, 60_000);
    p.update(event(1, null));
    p.update(event(2, null));
    p.done();
    expect(out.trim().split('\n')).toHaveLength(2);
  });
});

describe('progress bar on a TTY', () => {
  it('draws loss, samples/s and the step count with cli-progress', () => {
    let out = '';
    const tty = {
      isTTY: true,
      columns: 200,
      write: (s: string) => (out += s),
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      clearScreenDown: () => true,
      on: () => tty,
      removeListener: () => tty,
    };
    const p = createProgress(tty);
    p.update(event(1, 4));
    p.update(event(4, 4));
    p.done();
    expect(out).toContain('4/4 steps');
    expect(out).toContain('loss 1.5000');
    expect(out).toContain('1234 samples/s');
  });
});

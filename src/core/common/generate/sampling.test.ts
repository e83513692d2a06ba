import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors';
import { Rng } from '../random';
import { checkSamplingOptions, DEFAULT_SAMPLING, sampleToken, trailingRun, type SamplingOptions } from './sampling';

const plain: SamplingOptions = { temperature: 1, topK: 0, topP: 1, maxRepeat: 0 };

function histogram(probs: number[], options: SamplingOptions, draws: number, seed = 1, history: number[] = []): number[] {
  const rng = new Rng(seed);
  const counts = new Array<number>(probs.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampleToken(probs, options, rng, { history })]!++;
  return counts;
}

describe('sampleToken', () => {
  it('samples in proportion to the probabilities at temperature 1', () => {
    const counts = histogram([0.1, 0.6, 0.3], plain, 20000);
    expect(counts[0]! / 20000).toBeCloseTo(0.1, 1);
    expect(counts[1]! / 20000).toBeCloseTo(0.6, 1);
    expect(counts[2]! / 20000).toBeCloseTo(0.3, 1);
  });

  it('is the argmax at temperature 0 and nearly so at a low temperature', () => {
    expect(histogram([0.2, 0.5, 0.3], { ...plain, temperature: 0 }, 200)).toEqual([0, 200, 0]);
    const cold = histogram([0.2, 0.5, 0.3], { ...plain, temperature: 0.1 }, 2000);
    expect(cold[1]! / 2000).toBeGreaterThan(0.95);
  });

  it('flattens the distribution at a high temperature', () => {
    const hot = histogram([0.05, 0.9, 0.05], { ...plain, temperature: 5 }, 20000);
    // p^(1/5) renormalised: 0.05^0.2 / (2 * 0.05^0.2 + 0.9^0.2) ≈ 0.286.
    expect(hot[0]! / 20000).toBeCloseTo(0.286, 1);
  });

  it('keeps only the top-k tokens', () => {
    const counts = histogram([0.1, 0.4, 0.2, 0.3], { ...plain, topK: 2 }, 5000);
    expect(counts[0]).toBe(0);
    expect(counts[2]).toBe(0);
    expect(counts[1]! / 5000).toBeCloseTo(0.4 / 0.7, 1);
  });

  it('keeps the smallest nucleus reaching top-p', () => {
    // Sorted: 0.5 (id 3), 0.3 (id 0), 0.15 (id 1), 0.05 (id 2); 0.5 + 0.3 >= 0.75.
    const counts = histogram([0.3, 0.15, 0.05, 0.5], { ...plain, topP: 0.75 }, 5000);
    expect(counts[1]).toBe(0);
    expect(counts[2]).toBe(0);
    expect(counts[0]! + counts[3]!).toBe(5000);
  });

  it('never chooses banned ids, nor a token that would repeat more than maxRepeat times', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 500; i++) expect(sampleToken([0.9, 0.1], plain, rng, { banned: new Set([0]) })).toBe(1);
    const guarded = histogram([0.99, 0.01], { ...plain, maxRepeat: 3 }, 300, 4, [5, 0, 0, 0]);
    expect(guarded).toEqual([0, 300]);
    // Two in a row is under the limit: the likely token stays allowed.
    expect(histogram([0.99, 0.01], { ...plain, maxRepeat: 3 }, 300, 4, [5, 0, 0])[0]).toBeGreaterThan(280);
  });

  it('falls back to the most probable allowed id when every candidate is masked', () => {
    expect(sampleToken([1, 0], { ...plain, maxRepeat: 1 }, new Rng(1), { history: [0] })).toBe(0);
  });

  it('gives the same choices for the same seed, and for probabilities that differ by 1e-7', () => {
    const rng = new Rng(9);
    const rows = Array.from({ length: 300 }, () => {
      const raw = Array.from({ length: 40 }, () => rng.next() ** 4);
      const sum = raw.reduce((s, v) => s + v, 0);
      return raw.map((v) => v / sum);
    });
    const run = (jitter: number): number[] => {
      const r = new Rng(42);
      const noise = new Rng(7);
      return rows.map((p) => sampleToken(Float32Array.from(p.map((v) => v + (noise.next() - 0.5) * jitter)), DEFAULT_SAMPLING, r));
    };
    expect(run(0)).toEqual(run(0));
    expect(run(2e-7)).toEqual(run(0));
  });
});

describe('trailingRun', () => {
  it('counts identical events at the end', () => {
    expect(trailingRun([])).toEqual({ run: 0, id: -1 });
    expect(trailingRun([1])).toEqual({ run: 1, id: 1 });
    expect(trailingRun([2, 1, 1, 1])).toEqual({ run: 3, id: 1 });
    expect(trailingRun([1, 1, 2])).toEqual({ run: 1, id: 2 });
  });

  it('skips non-event ids such as time steps', () => {
    const isEvent = (id: number): boolean => id !== 9;
    expect(trailingRun([5, 9, 5, 9, 5, 9], isEvent)).toEqual({ run: 3, id: 5 });
    expect(trailingRun([9, 9], isEvent)).toEqual({ run: 0, id: -1 });
  });
});

describe('the repetition guard with time steps', () => {
  it('stops a note repeated with steps between, the original tool\'s collapse', () => {
    // id 0 = the note, 1 = a time step, 2 = another note; the model wants the note again.
    const history = [0, 1, 0, 1, 0, 1, 0, 1];
    const counts = new Array<number>(3).fill(0);
    const rng = new Rng(5);
    for (let i = 0; i < 200; i++)
      counts[sampleToken([0.9, 0.05, 0.05], { ...plain, maxRepeat: 4 }, rng, { history, isEvent: (id) => id !== 1 })]!++;
    expect(counts[0]).toBe(0);
    expect(counts[1]! + counts[2]!).toBe(200);
  });
});

describe('checkSamplingOptions', () => {
  it('accepts the defaults and refuses out-of-range values naming the option', () => {
    expect(() => checkSamplingOptions(DEFAULT_SAMPLING)).not.toThrow();
    expect(() => checkSamplingOptions({ ...DEFAULT_SAMPLING, topP: 0 })).toThrow(UsageError);
    expect(() => checkSamplingOptions({ ...DEFAULT_SAMPLING, topP: 1.5 })).toThrow(/top-p/);
    expect(() => checkSamplingOptions({ ...DEFAULT_SAMPLING, temperature: -1 })).toThrow(/temperature/);
    expect(() => checkSamplingOptions({ ...DEFAULT_SAMPLING, topK: 2.5 })).toThrow(/top-k/);
    expect(() => checkSamplingOptions({ ...DEFAULT_SAMPLING, temperature: NaN })).toThrow(/temperature/);
  });
});

describe('top-k and top-p with ties', () => {
  it('keeps tied tokens lowest id first, as a stable sort by weight would', () => {
    // Four tokens of 0.25: top-k 2 keeps ids 0 and 1; top-p 0.5 the same.
    const k = histogram([0.25, 0.25, 0.25, 0.25], { ...plain, topK: 2 }, 2000);
    expect(k[2]! + k[3]!).toBe(0);
    expect(k[0]! + k[1]!).toBe(2000);
    const p = histogram([0.25, 0.25, 0.25, 0.25], { ...plain, topP: 0.5 }, 2000);
    expect(p[2]! + p[3]!).toBe(0);
    // A larger weight outranks lower ids: ids 3 (0.4) and then 0 (0.2, lowest of the ties).
    const mixed = histogram([0.2, 0.2, 0.2, 0.4], { ...plain, topK: 2 }, 3000);
    expect(mixed[1]! + mixed[2]!).toBe(0);
    expect(mixed[3]! / 3000).toBeCloseTo(0.4 / 0.6, 1);
  });
});

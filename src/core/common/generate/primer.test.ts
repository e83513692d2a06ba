import { describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { FILLER_TOP_TOKENS, primerContext } from './primer';

describe('primerContext', () => {
  it('keeps the end of a long primer', () => {
    expect(primerContext([1, 2, 3, 4, 5], 3, [1, 1, 1, 1, 1, 1], new Rng(1))).toEqual([3, 4, 5]);
  });

  it('fills a short primer on the left from frequent tokens, never banned ones', () => {
    const counts = Array.from({ length: 200 }, (_, id) => (id === 7 ? 1_000_000 : id < 100 ? 100 - id : 0));
    const ctx = primerContext([150, 151], 40, counts, new Rng(2), new Set([7]));
    expect(ctx).toHaveLength(40);
    expect(ctx.slice(-2)).toEqual([150, 151]);
    const top = new Set(Array.from({ length: FILLER_TOP_TOKENS + 1 }, (_, id) => id));
    for (const id of ctx.slice(0, 38)) {
      expect(id).not.toBe(7);
      expect(top.has(id)).toBe(true);
    }
  });

  it('draws in proportion to the counts and repeats for the same seed', () => {
    const counts = [0, 900, 100];
    const ctx = primerContext([], 2000, counts, new Rng(3));
    expect(ctx.filter((id) => id === 1).length / 2000).toBeCloseTo(0.9, 1);
    expect(ctx.includes(0)).toBe(false);
    expect(primerContext([], 50, counts, new Rng(3))).toEqual(primerContext([], 50, counts, new Rng(3)));
  });

  it('still works when the vocabulary has no counts', () => {
    expect(primerContext([], 4, [0, 0, 0], new Rng(4), new Set([0])).every((id) => id === 1 || id === 2)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import {
  euclidean,
  gridOver,
  interSetDistances,
  intraSetDistances,
  kernelDensity,
  klDivergence,
  overlapArea,
  quantile,
  summarize,
} from './distributions';
import type { Density } from './distributions';

const normalPdf = (x: number, mu: number): number => Math.exp(-0.5 * (x - mu) ** 2) / Math.sqrt(2 * Math.PI);
const grid = Array.from({ length: 1701 }, (_, i) => -8 + i * 0.01);
const normal = (mu: number): Density => ({ x: grid, y: grid.map((x) => normalPdf(x, mu)) });

describe('distances', () => {
  it('euclidean, intra-set (unordered pairs) and inter-set (all pairs)', () => {
    expect(euclidean([0, 0], [3, 4])).toBe(5);
    expect(intraSetDistances([[0], [1], [3]])).toEqual([1, 3, 2]);
    expect(interSetDistances([[0]], [[1], [2]])).toEqual([1, 2]);
  });

  it('skips pieces whose vector is undefined (NaN)', () => {
    expect(intraSetDistances([[0], [NaN], [2]])).toEqual([2]);
  });
});

describe('quantile and summarize', () => {
  it('interpolates between closest ranks', () => {
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5], 0.05)).toBeCloseTo(1.2, 10);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('summarizes finite values only', () => {
    const s = summarize([1, 2, 3, 4, NaN]);
    expect(s).toMatchObject({ count: 4, mean: 2.5, min: 1, max: 4, p50: 2.5 });
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 10);
  });
});

describe('kernelDensity', () => {
  it('integrates to 1 and is about 0.5 inside a uniform sample on [-1, 1]', () => {
    const samples = Array.from({ length: 2001 }, (_, i) => -1 + i / 1000);
    const d = kernelDensity(samples, gridOver([samples], 512));
    const step = d.x[1]! - d.x[0]!;
    expect(d.y.reduce((a, b) => a + b) * step).toBeCloseTo(1, 2);
    const mid = d.y[d.x.findIndex((x) => x >= 0)]!;
    expect(mid).toBeCloseTo(0.5, 1);
  });
});

describe('overlapArea and klDivergence (hand-computed with unit normals)', () => {
  it('N(0,1) against N(1,1): overlap 2Φ(−1/2) = 0.6171, KL = 1/2 nat', () => {
    expect(overlapArea(normal(0), normal(1))).toBeCloseTo(0.6171, 3);
    expect(klDivergence(normal(0), normal(1))).toBeCloseTo(0.5, 3);
  });

  it('identical densities: overlap 1, KL 0; far apart: overlap 0', () => {
    expect(overlapArea(normal(0), normal(0))).toBeCloseTo(1, 3);
    expect(klDivergence(normal(0), normal(0))).toBeCloseTo(0, 10);
    expect(overlapArea(normal(-5), normal(5))).toBeLessThan(1e-3);
  });

  it('two KDEs of one sample overlap fully', () => {
    const a = Array.from({ length: 300 }, (_, i) => Math.sin(i) * 3 + 5);
    const x = gridOver([a]);
    expect(overlapArea(kernelDensity(a, x), kernelDensity(a, x))).toBeCloseTo(1, 2);
  });
});

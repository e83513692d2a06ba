import { describe, expect, it } from 'vitest';
import { extent, linearScale, linePath, niceTicks } from './scale';

describe('linearScale', () => {
  it('maps the domain onto the range, including inverted ranges', () => {
    const y = linearScale(0, 10, 200, 0);
    expect(y(0)).toBe(200);
    expect(y(5)).toBe(100);
    expect(y(10)).toBe(0);
    expect(y.domain).toEqual([0, 10]);
    expect(linearScale(3, 3, 0, 100)(3)).toBe(50);
  });
});

describe('niceTicks', () => {
  it('picks round steps', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.12, 0.93, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(1.5, 4.2, 3)).toEqual([2, 3, 4]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(niceTicks(Number.NaN, 1)).toEqual([]);
  });
});

describe('extent', () => {
  it('pads the span and ignores non-finite values', () => {
    expect(extent([1, 3, Number.NaN], 0.5)).toEqual([0, 4]);
    expect(extent([])).toEqual([0, 1]);
    expect(extent([2], 0.5)).toEqual([1, 3]);
  });
});

describe('linePath', () => {
  it('breaks the line at missing values', () => {
    expect(linePath([0, 1, 2, 3], [0, 1, Number.NaN, 3])).toBe('M0.0,0.0L1.0,1.0M3.0,3.0');
  });
});

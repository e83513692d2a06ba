import { describe, expect, it } from 'vitest';
import { latest, pick, seriesOf, type Sample } from './metrics';

describe('training metrics', () => {
  const samples: Sample[] = [
    { done: 1, metrics: { loss: 4.2, targetsPerSecond: 900 } },
    { done: 2, metrics: { loss: 3.9 } },
    { done: 2, metrics: { valLoss: 4.0 } },
    { done: 3, metrics: { trainLoss: 3.5, validationLoss: 3.8 } },
    { done: 3, metrics: { validationLoss: 3.7 } },
  ];

  it('accepts the known aliases of each figure', () => {
    expect(pick({ trainLoss: 1 }, 'loss')).toBe(1);
    expect(pick({ validNll: 2 }, 'validationLoss')).toBe(2);
    expect(pick({ loss: Number.NaN }, 'loss')).toBeUndefined();
    expect(pick(undefined, 'loss')).toBeUndefined();
  });

  it('builds series from the samples that report a figure, one point per step', () => {
    expect(seriesOf(samples, 'loss')).toEqual({ xs: [1, 2, 3], ys: [4.2, 3.9, 3.5] });
    expect(seriesOf(samples, 'validationLoss')).toEqual({ xs: [2, 3], ys: [4.0, 3.7] });
  });

  it('plots against the global step when samples name it, validation at the last step seen', () => {
    const run: Sample[] = [
      { done: 1, metrics: { step: 1, loss: 4 } },
      { done: 2, metrics: { step: 2, loss: 3.5 } },
      { done: 1, metrics: { epoch: 1, loss: 3.6, validLoss: 3.9 } },
      { done: 1, metrics: { step: 3, loss: 3.2 } },
    ];
    expect(seriesOf(run, 'loss')).toEqual({ xs: [1, 2, 3], ys: [4, 3.6, 3.2] });
    expect(seriesOf(run, 'validationLoss')).toEqual({ xs: [2], ys: [3.9] });
  });

  it('finds the latest value', () => {
    expect(latest(samples, 'targetsPerSecond')).toBe(900);
    expect(latest(samples, 'validationLoss')).toBe(3.7);
    expect(latest([], 'loss')).toBeUndefined();
  });
});

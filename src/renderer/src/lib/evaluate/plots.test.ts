import { describe, expect, it } from 'vitest';
import { findPlots } from './plots';

describe('findPlots', () => {
  it('groups equal-length arrays under one parent into one chart and lists scalars', () => {
    const report = {
      pitchClass: { generated: [1, 2, 3], corpus: [2, 2, 2], label: 'x' },
      durations: { generated: [0.1, 0.2] },
      summary: { entropy: 3.1, nested: { kl: 0.2 } },
      version: 1,
    };
    const { plots, figures } = findPlots(report);
    expect(plots).toEqual([
      { title: 'pitchClass', series: [{ name: 'generated', values: [1, 2, 3] }, { name: 'corpus', values: [2, 2, 2] }] },
      { title: 'durations.generated', series: [{ name: 'generated', values: [0.1, 0.2] }] },
    ]);
    expect(figures).toEqual([
      { name: 'summary.entropy', value: 3.1 },
      { name: 'summary.nested.kl', value: 0.2 },
      { name: 'version', value: 1 },
    ]);
  });

  it('ignores non-numeric and too-short arrays and survives odd input', () => {
    expect(findPlots({ a: [1], b: ['x', 'y'], c: [1, Number.NaN] })).toEqual({ plots: [], figures: [] });
    expect(findPlots(null)).toEqual({ plots: [], figures: [] });
    expect(findPlots([1, 2, 3])).toEqual({ plots: [], figures: [] });
  });
});

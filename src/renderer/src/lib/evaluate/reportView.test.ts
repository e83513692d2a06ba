import { describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../../../core/common/evaluate/report';
import { reportView } from './reportView';

const summary = (mean: number) => ({ count: 2, mean, std: 0, min: mean, p5: mean, p50: mean, p95: mean, max: mean });

// A report as report.json holds it: NaN and infinities were written as null.
const report = {
  format: 'cadenza-evaluation',
  version: 1,
  createdAt: '2026-11-26T10:00:00.000Z',
  measures: {
    scalars: [
      { id: 'pitchRange', label: 'Pitch range', unit: 'semitones', group: 'pitch', compare: true, description: '' },
      { id: 'polyphony', label: 'Polyphony', unit: 'notes', group: 'pitch', compare: true, description: '' },
    ],
    vectors: [
      { id: 'pitchClassHistogram', label: 'Pitch-class histogram', unit: '', group: 'pitch', compare: true, description: '', bins: ['C', 'D'] },
      { id: 'pitchClassTransitions', label: 'Pitch-class transitions', unit: '', group: 'pitch', compare: true, description: '', bins: ['C', 'D'] },
    ],
  },
  sets: [
    {
      role: 'reference',
      path: '/data',
      source: 'corpus',
      pieces: [],
      summary: { pieces: 2, scalars: { pitchRange: summary(40), polyphony: summary(2.5) }, meanVectors: { pitchClassHistogram: [0.7, 0.3], pitchClassTransitions: [1, 0, 0, 0] } },
    },
    {
      role: 'generated',
      path: '/gen',
      source: 'midi',
      pieces: [],
      summary: { pieces: 1, scalars: { pitchRange: summary(30), polyphony: summary(1.5) }, meanVectors: { pitchClassHistogram: [0.5, 0.5], pitchClassTransitions: [0, 1, 0, 0] } },
      comparison: [
        { id: 'pitchRange', intraReference: { x: [0, 1], y: [0.5, 0.5] }, intraSet: { x: [0, 1], y: [1, 0] }, inter: { x: [0, 1], y: [0.2, 0.8] }, overlapArea: 0.7, klDivergence: null },
      ],
    },
  ],
  warnings: ['one piece was empty.'],
  totalSeconds: 1,
} as unknown as EvaluationReport;

describe('reportView', () => {
  const view = reportView(report);

  it('compares the generated set with the reference, measure by measure', () => {
    expect(view.comparedRole).toBe('generated');
    expect(view.overlaps).toEqual([{ id: 'pitchRange', label: 'Pitch range', overlap: 0.7, kl: Number.NaN }]);
    expect(view.densities).toEqual([{ title: 'Pitch range', x: [0, 1], intraReference: [0.5, 0.5], inter: [0.2, 0.8] }]);
  });

  it('keeps the 12-bin histograms and leaves out the transition matrix', () => {
    expect(view.histograms).toEqual([
      {
        title: 'Pitch-class histogram',
        bins: ['C', 'D'],
        series: [
          { name: 'reference', values: [0.7, 0.3] },
          { name: 'generated', values: [0.5, 0.5] },
        ],
      },
    ]);
  });

  it('tabulates scalar means and passes warnings on', () => {
    expect(view.scalars).toEqual([
      { label: 'Pitch range', unit: 'semitones', reference: 40, compared: 30 },
      { label: 'Polyphony', unit: 'notes', reference: 2.5, compared: 1.5 },
    ]);
    expect(view.warnings).toEqual(['one piece was empty.']);
  });

  it('compares the set asked for, and lists every compared set', () => {
    const generated = report.sets[1]!;
    const refined = { ...generated, role: 'refined', comparison: [{ ...generated.comparison![0]!, overlapArea: 0.9 }] };
    const both = { ...report, sets: [...report.sets, refined] } as EvaluationReport;
    expect(reportView(both).comparedRoles).toEqual(['generated', 'refined']);
    expect(reportView(both).overlaps[0]!.overlap).toBe(0.7);
    const chosen = reportView(both, 'refined');
    expect(chosen.comparedRole).toBe('refined');
    expect(chosen.overlaps[0]!.overlap).toBe(0.9);
  });

  it('copes with a report that has only the reference', () => {
    const only = reportView({ ...report, sets: [report.sets[0]!] });
    expect(only.comparedRole).toBeNull();
    expect(only.overlaps).toEqual([]);
    expect(only.histograms[0]!.series.map((s) => s.name)).toEqual(['reference']);
  });
});

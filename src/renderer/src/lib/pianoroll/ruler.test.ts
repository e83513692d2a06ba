import { describe, expect, it } from 'vitest';
import { barBeatAt, rulerMarks } from './ruler';

const fourFour = [{ ticks: 0, numerator: 4, denominator: 4 }];

describe('rulerMarks', () => {
  it('lists bars and beats in 4/4 when there is room for beats', () => {
    const marks = rulerMarks(fourFour, 480, 0, 1920 * 2, 0.1);
    expect(marks.filter((m) => m.isBar).map((m) => m.ticks)).toEqual([0, 1920]);
    expect(marks.filter((m) => !m.isBar).map((m) => m.ticks)).toEqual([480, 960, 1440, 2400, 2880, 3360]);
    expect(marks[0]).toEqual({ ticks: 0, bar: 1, isBar: true, labelled: true });
  });

  it('drops beats when they would be too dense and thins bar labels', () => {
    const marks = rulerMarks(fourFour, 480, 0, 1920 * 16, 0.01);
    expect(marks.every((m) => m.isBar)).toBe(true);
    expect(marks).toHaveLength(16);
    // A bar is 19.2 px: labels every 4th bar keep them >= 40 px apart.
    expect(marks.filter((m) => m.labelled).map((m) => m.bar)).toEqual([1, 5, 9, 13]);
  });

  it('counts bars across a time-signature change', () => {
    // Two bars of 4/4 then 3/4 from tick 3840.
    const sigs = [
      { ticks: 0, numerator: 4, denominator: 4 },
      { ticks: 3840, numerator: 3, denominator: 4 },
    ];
    const bars = rulerMarks(sigs, 480, 0, 3840 + 1440 * 3, 0.1).filter((m) => m.isBar);
    expect(bars.map((m) => [m.ticks, m.bar])).toEqual([
      [0, 1],
      [1920, 2],
      [3840, 3],
      [5280, 4],
      [6720, 5],
    ]);
  });

  it('starts mid-song without listing earlier bars', () => {
    const marks = rulerMarks(fourFour, 480, 1920 * 100 + 10, 1920 * 101 + 10, 0.1);
    expect(marks.filter((m) => m.isBar).map((m) => m.bar)).toEqual([102]);
    expect(marks[0]!.ticks).toBe(1920 * 100 + 480);
  });

  it('handles 6/8 beats as eighth notes', () => {
    const marks = rulerMarks([{ ticks: 0, numerator: 6, denominator: 8 }], 480, 0, 1440, 0.1);
    expect(marks.map((m) => m.ticks)).toEqual([0, 240, 480, 720, 960, 1200]);
  });
});

describe('barBeatAt', () => {
  it('counts bars and beats from 1 and crosses time-signature changes like rulerMarks', () => {
    expect(barBeatAt(fourFour, 480, 0)).toEqual({ bar: 1, beat: 1 });
    expect(barBeatAt(fourFour, 480, 1920 + 720)).toEqual({ bar: 2, beat: 2.5 });
    const sigs = [
      { ticks: 0, numerator: 4, denominator: 4 },
      { ticks: 3840, numerator: 3, denominator: 4 },
    ];
    expect(barBeatAt(sigs, 480, 5280 + 960)).toEqual({ bar: 4, beat: 3 });
  });
});

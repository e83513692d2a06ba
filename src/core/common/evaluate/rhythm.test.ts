import { describe, expect, it } from 'vitest';
import {
  averageInterOnsetSeconds,
  bars,
  emptyBeatRate,
  grooveConsistency,
  noteLengthHistogram,
  NOTE_LENGTH_CLASSES,
  polyphony,
} from './rhythm';
import { songOf } from './testSongs';

describe('averageInterOnsetSeconds', () => {
  it('averages gaps between distinct onsets: a chord counts once', () => {
    // Onsets at 0 (chord), 1, 3 quarters at 120 BPM: gaps 0.5 s and 1 s.
    const song = songOf([
      [60, 0, 1],
      [64, 0, 1],
      [62, 1, 1],
      [65, 3, 1],
    ]);
    expect(averageInterOnsetSeconds(song)).toBeCloseTo(0.75, 10);
    expect(averageInterOnsetSeconds(songOf([[60, 0, 1]]))).toBeNaN();
  });
});

describe('noteLengthHistogram', () => {
  it('puts each note in the nearest class on a log scale', () => {
    const song = songOf([
      [60, 0, 1], // quarter
      [60, 1, 0.5], // eighth
      [60, 2, 1.5], // dotted quarter
      [60, 4, 1 / 3], // eighth triplet
      [60, 5, 9], // longer than whole: whole
      [60, 15, 0.1], // shorter than 1/16: 1/16
      [60, 16, 0.98], // a performed quarter
      [60, 17, 0.49], // a performed eighth
    ]);
    const h = noteLengthHistogram(song);
    const at = (label: string): number => h[NOTE_LENGTH_CLASSES.findIndex((c) => c.label === label)]!;
    expect(at('1/4')).toBeCloseTo(2 / 8);
    expect(at('1/8')).toBeCloseTo(2 / 8);
    expect(at('1/4.')).toBeCloseTo(1 / 8);
    expect(at('1/8t')).toBeCloseTo(1 / 8);
    expect(at('1')).toBeCloseTo(1 / 8);
    expect(at('1/16')).toBeCloseTo(1 / 8);
  });
});

describe('polyphony', () => {
  it('is 1 for a melody, 3 for a held triad, and time-weighted in between', () => {
    expect(
      polyphony(
        songOf([
          [60, 0, 1],
          [62, 1, 1],
        ]).notes,
      ),
    ).toBeCloseTo(1);
    expect(
      polyphony(
        songOf([
          [60, 0, 2],
          [64, 0, 2],
          [67, 0, 2],
        ]).notes,
      ),
    ).toBeCloseTo(3);
    // Two notes for 1 quarter, then one for 1 quarter, a silent quarter, one for 1: (2 + 1 + 1) / 3.
    const song = songOf([
      [60, 0, 2],
      [64, 0, 1],
      [67, 3, 1],
    ]);
    expect(polyphony(song.notes)).toBeCloseTo(4 / 3);
    expect(polyphony([])).toBeNaN();
  });
});

describe('bars and grooveConsistency', () => {
  it('cuts bars from the time signatures', () => {
    // The only note ends at tick 4800, where a fourth bar would begin.
    const song = songOf([[60, 0, 10]]);
    song.timeSignatures = [
      { ticks: 0, numerator: 4, denominator: 4 },
      { ticks: 4 * 480, numerator: 3, denominator: 4 },
    ];
    expect(bars(song)).toEqual([
      { startTicks: 0, lengthTicks: 1920 },
      { startTicks: 1920, lengthTicks: 1440 },
      { startTicks: 3360, lengthTicks: 1440 },
    ]);
  });

  it('is 1 when every bar has the same onset pattern', () => {
    const notes: [number, number, number][] = [];
    for (let bar = 0; bar < 4; bar++) for (const q of [0, 1, 2.5]) notes.push([60, bar * 4 + q, 0.5]);
    expect(grooveConsistency(songOf(notes))).toBeCloseTo(1);
  });

  it('falls by the share of grid positions that differ between neighbouring bars', () => {
    // Bar 1: onsets at 0 and 1; bar 2: onsets at 0 and 2: two of 48 positions differ.
    const song = songOf([
      [60, 0, 1],
      [60, 1, 1],
      [60, 4, 1],
      [60, 6, 1],
    ]);
    expect(grooveConsistency(song)).toBeCloseTo(1 - 2 / 48, 10);
  });
});

describe('emptyBeatRate', () => {
  it('counts quarter-note beats in which nothing sounds', () => {
    // Sounds in beats 0, 1 (one half note) and 4; beats 2 and 3 are empty: 2 of 5.
    const song = songOf([
      [60, 0, 2],
      [62, 4, 1],
    ]);
    expect(emptyBeatRate(song)).toBeCloseTo(2 / 5);
    // A note that merely touches the next beat's start does not fill it.
    expect(
      emptyBeatRate(
        songOf([
          [60, 0, 1],
          [60, 2, 1],
        ]),
      ),
    ).toBeCloseTo(1 / 3);
  });
});

import { describe, expect, it } from 'vitest';
import type { MeasureComparison } from './compare';
import { overlapSummary } from './compare';
import {
  bothHandsShare,
  cropSong,
  windowSong,
  gridGapShare,
  longestInternalRepeat,
  onBeatShare,
  pitchesPerMinute,
  windowScaleConsistency,
} from './features';
import { measureSong } from './measures';
import { songOf } from './testSongs';

describe('onBeatShare', () => {
  it('counts onset groups on quarter-note beats in 4/4, within a 64th', () => {
    // Onsets at 0, 0.5, 1, 1.5, 2.02 (on: within 1/16 quarter), 2.75: on = 0, 1, 2.02 → 3 of 6.
    const song = songOf([
      [60, 0, 0.5],
      [64, 0, 0.5],
      [62, 0.5, 0.5],
      [64, 1, 0.5],
      [65, 1.5, 0.5],
      [67, 2.02, 0.5],
      [69, 2.75, 0.25],
    ]);
    expect(onBeatShare(song)).toBeCloseTo(3 / 6, 12);
  });

  it('reads beats from the time signature: eighth-note beats in 6/8', () => {
    const song = songOf([
      [60, 0, 0.5],
      [62, 0.5, 0.5],
      [64, 0.75, 0.25],
    ]);
    song.timeSignatures = [{ ticks: 0, numerator: 6, denominator: 8 }];
    expect(onBeatShare(song)).toBeCloseTo(2 / 3, 12);
    expect(onBeatShare(songOf([]))).toBeNaN();
  });
});

describe('bothHandsShare', () => {
  it('is the share of sounding time with notes on both sides of middle C', () => {
    // Right hand 0–4, left hand 2–3 and 5–6: sounding 0–4 and 5–6 = 5 quarters, both 2–3 = 1.
    const song = songOf([
      [72, 0, 4],
      [48, 2, 1],
      [59, 5, 1],
    ]);
    expect(bothHandsShare(song.notes)).toBeCloseTo(1 / 5, 12);
    expect(bothHandsShare(songOf([[60, 0, 1]]).notes)).toBe(0);
  });
});

describe('longestInternalRepeat', () => {
  it('finds the longest non-overlapping repeat', () => {
    expect(longestInternalRepeat([1, 2, 3, 9, 1, 2, 3, 8])).toBe(3);
    // 1 1 1 1 1: "1 1" twice without overlap, "1 1 1" only overlapping.
    expect(longestInternalRepeat([1, 1, 1, 1, 1])).toBe(2);
    expect(longestInternalRepeat([1, 2, 3, 4])).toBe(0);
    expect(longestInternalRepeat([])).toBe(0);
    const motif = Array.from({ length: 40 }, (_, i) => (i * 7) % 13);
    expect(longestInternalRepeat([...motif, 99, ...motif.slice(0, 30), 98])).toBe(30);
  });
});

describe('windowScaleConsistency', () => {
  it('averages the best scale fit over 10-s windows', () => {
    // At 120 BPM a quarter is 0.5 s: window 1 (0–10 s) holds C major (1.0), window 2 (10–20 s)
    // holds 4 notes of which 3 fit one scale at best (C, C♯, D, E♭ chromatic → 0.75).
    const cMajor = [60, 62, 64, 65, 67, 69, 71, 72].map((p, i): [number, number, number] => [p, i, 1]);
    const chromatic = [60, 61, 62, 63].map((p, i): [number, number, number] => [p, 20 + i, 1]);
    expect(windowScaleConsistency(songOf([...cMajor, ...chromatic]))).toBeCloseTo((1 + 0.75) / 2, 12);
    // A window with fewer than 4 notes does not count.
    expect(windowScaleConsistency(songOf([...cMajor, [61, 21, 1]]))).toBe(1);
  });
});

describe('pitchesPerMinute and gridGapShare', () => {
  it('divides distinct pitches by minutes and counts gaps on the 16th/triplet grid', () => {
    // 4 distinct pitches in 30 s (60 quarters at 120 BPM) = 8 per minute.
    const song = songOf([
      [60, 0, 1],
      [62, 1 / 3, 1],
      [64, 1, 1],
      [65, 1.1, 1],
      [60, 59, 1],
    ]);
    expect(pitchesPerMinute(song)).toBeCloseTo(8, 12);
    // Gaps: 1/3 (triplet), 2/3 (triplet), 0.1 (off), 57.9 (off): 2 of 4.
    expect(gridGapShare(song)).toBeCloseTo(0.5, 12);
  });
});

describe('cropSong', () => {
  it('keeps the notes that start before the limit, cut at it', () => {
    const song = cropSong(
      songOf([
        [60, 0, 1],
        [62, 1.5, 2],
        [64, 4, 1],
      ]),
      1,
    );
    expect(song.notes.map((n) => [n.pitch, n.startTicks, n.endTicks])).toEqual([
      [60, 0, 480],
      [62, 720, 960],
    ]);
  });
});

describe('windowSong', () => {
  it('keeps the notes that start in the window, from the bar line before it, with the tempo in effect', () => {
    const whole = songOf([
      [60, 0, 1],
      [62, 4.5, 1],
      [64, 9, 2],
      [65, 10, 1],
    ]);
    // 120 BPM: 3 s is quarter 6, inside the bar that starts at quarter 4 (2 s); 5 s is quarter 10.
    whole.tempos = [
      { ticks: 0, bpm: 90 },
      { ticks: 960, bpm: 120 },
    ];
    // With 90 BPM for the first two quarters (1.33 s), 3 s is quarter 2 + 1.67 * 2 = 5.33 and 5 s is 9.33.
    const song = windowSong(whole, 3, 5);
    expect(song.notes.map((n) => [n.pitch, n.startTicks, n.endTicks])).toEqual([
      [62, 240, 720],
      [64, 2400, Math.round(9.333333333 * 480) - 1920],
    ]);
    expect(song.tempos).toEqual([{ ticks: 0, bpm: 120 }]);
    expect(song.timeSignatures).toEqual([{ ticks: 0, numerator: 4, denominator: 4 }]);
  });
});

describe('measureSong and overlapSummary', () => {
  it('reports the new features and reduces a comparison to mean and minimum', () => {
    const m = measureSong(
      songOf([
        [48, 0, 2],
        [72, 0, 1],
        [74, 1, 1],
        [48, 2, 2],
        [72, 2, 1],
        [74, 3, 1],
      ]),
    );
    expect(m.scalars.bothHandsShare).toBe(1);
    expect(m.scalars.onBeatShare).toBe(1);
    expect(m.scalars.longestInternalRepeat).toBe(2);
    const cmp = [
      { id: 'onBeatShare', overlapArea: 0.8 },
      { id: 'pitchRange', overlapArea: 0.2 },
      { id: 'polyphony', overlapArea: NaN },
    ] as MeasureComparison[];
    const s = overlapSummary(cmp, ['onBeatShare', 'pitchRange', 'polyphony']);
    expect(s.mean).toBeCloseTo(0.5, 12);
    expect(s.min).toBe(0.2);
    expect(s.minFeature).toBe('pitchRange');
  });
});

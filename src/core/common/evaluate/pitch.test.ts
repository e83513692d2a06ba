import { describe, expect, it } from 'vitest';
import {
  averagePitchInterval,
  bestScale,
  entropyBits,
  pitchClassEntropy,
  pitchClassHistogram,
  pitchClassTransitionMatrix,
  pitchCount,
  pitchEntropy,
  pitchRange,
  scaleConsistency,
} from './pitch';
import { songOf } from './testSongs';

// C4 E4 G4 C5 then F#4: hand-computed below.
const notes = songOf([
  [60, 0, 1],
  [64, 1, 1],
  [67, 2, 1],
  [72, 3, 1],
  [66, 4, 1],
]).notes;

describe('pitch measures on C4 E4 G4 C5 F#4', () => {
  it('pitch count and range', () => {
    expect(pitchCount(notes)).toBe(5);
    expect(pitchRange(notes)).toBe(12);
  });

  it('pitch-class histogram: C twice, E, F#, G once each, out of 5', () => {
    const h = pitchClassHistogram(notes);
    expect(h[0]).toBeCloseTo(0.4);
    expect(h[4]).toBeCloseTo(0.2);
    expect(h[6]).toBeCloseTo(0.2);
    expect(h[7]).toBeCloseTo(0.2);
    expect(h.reduce((a, b) => a + b)).toBeCloseTo(1);
  });

  it('transition matrix: C→E, E→G, G→C, C→F#, a quarter each', () => {
    const m = pitchClassTransitionMatrix(notes);
    expect(m[0 * 12 + 4]).toBeCloseTo(0.25);
    expect(m[4 * 12 + 7]).toBeCloseTo(0.25);
    expect(m[7 * 12 + 0]).toBeCloseTo(0.25);
    expect(m[0 * 12 + 6]).toBeCloseTo(0.25);
    expect(m.filter((v) => v > 0)).toHaveLength(4);
  });

  it('average interval: (4 + 3 + 5 + 6) / 4 = 4.5 semitones', () => {
    expect(averagePitchInterval(notes)).toBeCloseTo(4.5);
  });

  it('entropies: 5 equally used pitches give log2 5 bits; classes 0.4,0.2,0.2,0.2', () => {
    expect(pitchEntropy(notes)).toBeCloseTo(Math.log2(5), 10);
    const expected = -(0.4 * Math.log2(0.4) + 3 * 0.2 * Math.log2(0.2));
    expect(pitchClassEntropy(notes)).toBeCloseTo(expected, 10);
    expect(entropyBits([3, 0, 0])).toBe(0);
  });

  it('scale consistency: the largest in-scale fraction over 24 scales', () => {
    // G major = G A B C D E F#: every note fits, so the best scale holds 5/5.
    expect(scaleConsistency(notes)).toBeCloseTo(1);
    expect(bestScale(notes)).toMatchObject({ tonic: 7, mode: 'major' });
    const chromatic = songOf(
      Array.from({ length: 12 }, (_, i): [number, number, number] => [60 + i, i, 1]),
    ).notes;
    // Any 7-note scale holds 7 of the 12 pitch classes.
    expect(scaleConsistency(chromatic)).toBeCloseTo(7 / 12);
  });

  it('returns NaN or zeros for an empty song, never throws', () => {
    expect(pitchRange([])).toBeNaN();
    expect(averagePitchInterval([])).toBeNaN();
    expect(pitchEntropy([])).toBeNaN();
    expect(scaleConsistency([])).toBeNaN();
    expect(pitchClassHistogram([]).every((v) => v === 0)).toBe(true);
  });
});

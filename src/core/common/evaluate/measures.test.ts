import { describe, expect, it } from 'vitest';
import { measureSong, SCALAR_MEASURES, VECTOR_MEASURES } from './measures';
import { songOf } from './testSongs';

describe('measureSong', () => {
  // C major triad held two beats, then G4 and E4 quarters, then the triad again, at 120 BPM.
  const song = songOf([
    [60, 0, 2],
    [64, 0, 2],
    [67, 0, 2],
    [67, 2, 1],
    [64, 3, 1],
    [60, 4, 2],
    [64, 4, 2],
    [67, 4, 2],
  ]);
  const m = measureSong(song);

  it('fills every scalar and vector of the catalogue', () => {
    expect(Object.keys(m.scalars).sort()).toEqual(SCALAR_MEASURES.map((x) => x.id).sort());
    expect(Object.keys(m.vectors).sort()).toEqual(VECTOR_MEASURES.map((x) => x.id).sort());
    expect(m.vectors.pitchClassTransitions).toHaveLength(144);
  });

  it('computes the hand-counted values', () => {
    expect(m.scalars.noteCount).toBe(8);
    expect(m.scalars.durationSeconds).toBeCloseTo(3, 10);
    expect(m.scalars.pitchCount).toBe(3);
    expect(m.scalars.pitchRange).toBe(7);
    // Consecutive notes 60 64 67 67 64 60 64 67: intervals 4 3 0 3 4 4 3 → 21 / 7.
    expect(m.scalars.averagePitchInterval).toBeCloseTo(3, 10);
    // Onsets at 0, 1, 1.5, 2 s: three gaps over 2 s.
    expect(m.scalars.averageInterOnsetSeconds).toBeCloseTo(2 / 3, 10);
    // Three notes for 2 beats, one for 2 beats, three for 2 beats: (6 + 2 + 6) / 6.
    expect(m.scalars.polyphony).toBeCloseTo(14 / 6, 10);
    expect(m.scalars.scaleConsistency).toBe(1);
    expect(m.scalars.emptyBeatRate).toBe(0);
    // Events: triad, G, E, triad: no back-to-back repeat; its three bigrams are all distinct.
    expect(m.scalars.longestRepeatedRun).toBe(1);
    expect(m.scalars.distinct2).toBe(1);
    expect(m.scalars.distinct8).toBeNaN();
  });
});

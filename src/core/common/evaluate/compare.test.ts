import { describe, expect, it } from 'vitest';
import { compareSets, summarizeSet } from './compare';
import { measureSong } from './measures';
import { songOf } from './testSongs';

/** A scale-like piece: `count` quarter notes stepping by `step` semitones from `from`. */
function run(from: number, step: number, count: number): ReturnType<typeof measureSong> {
  return measureSong(
    songOf(
      Array.from({ length: count }, (_, i): [number, number, number] => [from + ((i * step) % 24), i, 1]),
    ),
  );
}

describe('summarizeSet', () => {
  it('summarizes scalars and averages histograms over pieces with notes', () => {
    const a = measureSong(songOf([[60, 0, 1]]));
    const b = measureSong(
      songOf([
        [62, 0, 1],
        [64, 1, 1],
      ]),
    );
    const empty = measureSong(songOf([]));
    const s = summarizeSet([a, b, empty]);
    expect(s.pieces).toBe(3);
    expect(s.scalars.noteCount).toMatchObject({ count: 3, mean: 1, min: 0, max: 2 });
    // Mean of C = 1 (piece a) and D = E = 0.5 (piece b).
    expect(s.meanVectors.pitchClassHistogram[0]).toBeCloseTo(0.5);
    expect(s.meanVectors.pitchClassHistogram[2]).toBeCloseTo(0.25);
    expect(s.meanVectors.pitchClassHistogram[4]).toBeCloseTo(0.25);
  });
});

describe('compareSets', () => {
  const reference = [
    run(48, 1, 40),
    run(50, 1, 44),
    run(52, 1, 48),
    run(47, 1, 36),
    run(55, 1, 52),
    run(45, 1, 42),
  ];

  it('a set drawn like the reference overlaps it more than a very different one', () => {
    const alike = [run(49, 1, 46), run(51, 1, 38), run(53, 1, 50)];
    const different = [run(60, 7, 40), run(40, 11, 44), run(70, 5, 48)];
    const near = compareSets(reference, alike).find((c) => c.id === 'averagePitchInterval')!;
    const far = compareSets(reference, different).find((c) => c.id === 'averagePitchInterval')!;
    expect(near.overlapArea).toBeGreaterThan(far.overlapArea);
    expect(near.klDivergence).toBeLessThan(far.klDivergence);
    expect(far.overlapArea).toBeLessThan(0.2);
  });

  it('compares every measure marked for comparison, with densities on one grid', () => {
    const result = compareSets(reference, reference.slice(0, 3));
    expect(result.map((c) => c.id)).toContain('pitchClassTransitions');
    expect(result.map((c) => c.id)).not.toContain('noteCount');
    for (const c of result) {
      expect(c.inter.x).toEqual(c.intraReference.x);
      expect(c.intraSet.x).toEqual(c.intraReference.x);
    }
  });
});

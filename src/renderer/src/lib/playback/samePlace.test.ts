import { describe, expect, it } from 'vitest';
import { TempoMap } from '../../../../core/common/song/tempo';
import { samePlace } from './samePlace';

describe('samePlace', () => {
  it('is the identity between takes with one tempo map', () => {
    const map = new TempoMap(480, [{ ticks: 0, bpm: 96 }]);
    for (const s of [0, 1.25, 10]) expect(samePlace(s, map, map)).toBeCloseTo(s, 9);
  });

  it('lands on the same beat when the other take is slower, ritardando or another ppq', () => {
    const raw = new TempoMap(480, [{ ticks: 0, bpm: 120 }]);
    // Beat 8 of raw is at 4 s; the refined take slows to 60 BPM from beat 4 (at 2 s), so beat 8 is at 2 + 4 s.
    const refined = new TempoMap(220, [
      { ticks: 0, bpm: 120 },
      { ticks: 4 * 220, bpm: 60 },
    ]);
    expect(samePlace(4, raw, refined)).toBeCloseTo(6, 9);
    expect(samePlace(6, refined, raw)).toBeCloseTo(4, 9);
    expect(samePlace(1, raw, refined)).toBeCloseTo(1, 9);
    expect(samePlace(-1, raw, refined)).toBe(0);
  });
});

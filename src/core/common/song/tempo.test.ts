import { describe, expect, it } from 'vitest';
import { TempoMap } from './tempo';

describe('TempoMap', () => {
  it('converts ticks to seconds across tempo changes and back', () => {
    // 480 ppq: 120 BPM for 2 beats (1 s), then 60 BPM.
    const map = new TempoMap(480, [
      { ticks: 0, bpm: 120 },
      { ticks: 960, bpm: 60 },
    ]);
    expect(map.toSeconds(480)).toBeCloseTo(0.5, 9);
    expect(map.toSeconds(960)).toBeCloseTo(1, 9);
    expect(map.toSeconds(1440)).toBeCloseTo(2, 9);
    expect(map.toTicks(2)).toBeCloseTo(1440, 6);
    expect(map.toTicks(0.25)).toBeCloseTo(240, 6);
  });

  it('uses 120 BPM before the first tempo and lets the last of simultaneous changes win', () => {
    const map = new TempoMap(100, [
      { ticks: 100, bpm: 60 },
      { ticks: 100, bpm: 30 },
    ]);
    // Before tick 100 the first tempo (60) is extended back to 0.
    expect(map.toSeconds(100)).toBeCloseTo(1, 9);
    expect(map.toSeconds(200)).toBeCloseTo(3, 9);
  });
});

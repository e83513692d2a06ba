import { describe, expect, it } from 'vitest';
import { emptySong, type Song } from '../../../../core/common/song/song';
import { firstAtOrAfter, pitchToHz, scheduleOf } from './schedule';

describe('scheduleOf', () => {
  it('converts ticks to seconds through tempo changes and applies the pedal', () => {
    const song: Song = {
      ...emptySong(480),
      tempos: [
        { ticks: 0, bpm: 120 },
        { ticks: 960, bpm: 60 },
      ],
      notes: [
        { pitch: 64, velocity: 90, startTicks: 960, endTicks: 1440, track: 0, channel: 0 },
        { pitch: 60, velocity: 80, startTicks: 0, endTicks: 240, track: 0, channel: 0 },
        { pitch: 36, velocity: 100, startTicks: 0, endTicks: 240, track: 0, channel: 9 },
      ],
      pedals: [
        { ticks: 0, track: 0, channel: 0, down: true },
        { ticks: 480, track: 0, channel: 0, down: false },
      ],
    };
    const s = scheduleOf(song);
    expect(s.map((n) => n.pitch)).toEqual([60, 64]);
    // The pedal holds C4 until tick 480 = 0.5 s at 120 BPM.
    expect(s[0]).toEqual({ startSeconds: 0, endSeconds: 0.5, pitch: 60, velocity: 80 });
    // Tick 960 = 1 s; 480 ticks at 60 BPM = 1 s more.
    expect(s[1]!.startSeconds).toBeCloseTo(1, 9);
    expect(s[1]!.endSeconds).toBeCloseTo(2, 9);
  });
});

describe('firstAtOrAfter and pitchToHz', () => {
  it('binary-searches starts and tunes A4 to 440 Hz', () => {
    const notes = [0, 1, 1, 2].map((t) => ({ startSeconds: t, endSeconds: t + 1, pitch: 60, velocity: 64 }));
    expect(firstAtOrAfter(notes, 1)).toBe(1);
    expect(firstAtOrAfter(notes, 1.5)).toBe(3);
    expect(firstAtOrAfter(notes, 9)).toBe(4);
    expect(pitchToHz(69)).toBe(440);
    expect(pitchToHz(81)).toBeCloseTo(880, 9);
  });
});

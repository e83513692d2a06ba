import { describe, expect, it } from 'vitest';
import { applySustain } from './sustain';
import { emptySong } from './song';

describe('applySustain', () => {
  it('holds notes released under the pedal until the pedal lifts, and cuts them at a re-strike', () => {
    const song = emptySong(480);
    song.notes = [
      { pitch: 60, velocity: 80, startTicks: 0, endTicks: 100, track: 0, channel: 0 },
      { pitch: 64, velocity: 80, startTicks: 0, endTicks: 100, track: 0, channel: 0 },
      { pitch: 60, velocity: 80, startTicks: 500, endTicks: 600, track: 0, channel: 0 },
      { pitch: 67, velocity: 80, startTicks: 1200, endTicks: 1300, track: 0, channel: 0 },
    ];
    song.pedals = [
      { ticks: 50, track: 0, channel: 0, down: true },
      { ticks: 1000, track: 0, channel: 0, down: false },
    ];
    const out = applySustain(song);
    const ends = out.notes.map((n) => [n.pitch, n.startTicks, n.endTicks]);
    expect(ends).toEqual([
      [60, 0, 500], // re-struck at 500 before the pedal lifts
      [64, 0, 1000],
      [60, 500, 1000],
      [67, 1200, 1300], // pedal is up: unchanged
    ]);
    expect(song.notes[0]!.endTicks).toBe(100); // input untouched
  });
});

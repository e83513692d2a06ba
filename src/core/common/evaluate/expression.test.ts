import { describe, expect, it } from 'vitest';
import { emptySong, type Song } from '../song/song';
import { finalTempoRatio, tempoMapVariationPercent, topNoteLoudestShare, velocityDrift } from './expression';

function song(beats: number, velocity: (beat: number) => number): Song {
  const s = emptySong(480);
  for (let b = 0; b < beats; b++) s.notes.push({ pitch: 60, velocity: velocity(b), startTicks: b * 480, endTicks: b * 480 + 400, track: 0, channel: 0 });
  return s;
}

describe('expression measures', () => {
  it('velocity drift is 1 for a level piece and below 1 for a fading one', () => {
    expect(velocityDrift(song(30, () => 60))).toBe(1);
    expect(velocityDrift(song(30, (b) => 90 - 2 * b))).toBeLessThan(0.6);
    expect(velocityDrift(emptySong())).toBeNaN();
  });

  it('top-note share counts chords whose highest note is loudest', () => {
    const s = emptySong(480);
    const chord = (t: number, top: number, low: number): void => {
      s.notes.push({ pitch: 72, velocity: top, startTicks: t, endTicks: t + 400, track: 0, channel: 0 });
      s.notes.push({ pitch: 48, velocity: low, startTicks: t + 5, endTicks: t + 400, track: 0, channel: 0 });
    };
    chord(0, 80, 60);
    chord(960, 50, 70);
    chord(1920, 70, 70);
    s.notes.push({ pitch: 60, velocity: 100, startTicks: 2880, endTicks: 3000, track: 0, channel: 0 });
    expect(topNoteLoudestShare(s)).toBeCloseTo(2 / 3, 6);
  });

  it('tempo-map variation is 0 at one tempo; a ritardando shows in it and in the final tempo', () => {
    const fixed = song(64, () => 60);
    expect(tempoMapVariationPercent(fixed)).toBe(0);
    expect(finalTempoRatio(fixed)).toBe(1);
    const rit = song(64, () => 60);
    rit.tempos = [{ ticks: 0, bpm: 120 }, { ticks: 60 * 480, bpm: 80 }];
    expect(tempoMapVariationPercent(rit)).toBeGreaterThan(3);
    expect(finalTempoRatio(rit)).toBeCloseTo(80 / 120, 6);
  });
});

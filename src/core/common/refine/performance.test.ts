import { describe, expect, it } from 'vitest';
import { emptySong, type Song } from '../song/song';
import { tempoMapOf } from '../song/tempo';
import { pedalFor, phraseGrid, phraseLevels, shapeTempo, tempoFactor, voiceChords } from './performance';

/** 16 bars of 4/4 at 120 BPM: a bass note and a three-note chord each beat, melody on top. */
function piece(): Song {
  const song = emptySong(480);
  for (let beat = 0; beat < 64; beat++) {
    const t = beat * 480;
    for (const p of [40, 55, 59, 64 + (beat % 5)]) song.notes.push({ pitch: p, velocity: 64, startTicks: t, endTicks: t + 400, track: 0, channel: 0 });
  }
  return song;
}

describe('refine rules', () => {
  it('phrase levels are flat at expression 0 and arch within each phrase at 1', () => {
    const song = piece();
    expect(new Set(phraseLevels(song, 50, 0))).toEqual(new Set([50]));
    const levels = phraseLevels(song, 50, 1);
    const at = (beat: number): number => levels[song.notes.findIndex((n) => n.startTicks === beat * 480)]!;
    // Peak near 60% of the first phrase (beat 9 of 16) above its start and its cadence.
    expect(at(9)).toBeGreaterThan(at(0));
    expect(at(9)).toBeGreaterThan(at(15));
    // The close dies away.
    expect(at(63)).toBeLessThan(at(57));
  });

  it('voicing puts the top note of every chord above the rest, and changes nothing at 0', () => {
    const song = piece();
    expect(voiceChords(song.notes, 480, 0)).toEqual(song.notes);
    const voiced = voiceChords(song.notes, 480, 0.5);
    for (let beat = 0; beat < 64; beat++) {
      const chord = voiced.filter((n) => n.startTicks === beat * 480);
      const top = chord.reduce((a, b) => (b.pitch > a.pitch ? b : a));
      for (const n of chord) if (n !== top) expect(top.velocity).toBeGreaterThan(n.velocity);
    }
    expect(voiced.map((n) => n.pitch)).toEqual(song.notes.map((n) => n.pitch));
  });

  it('the tempo curve keeps ticks, is bounded, moves within phrases and slows over the last bar', () => {
    const song = piece();
    expect(shapeTempo(song, 0)).toEqual(song.tempos);
    const tempos = shapeTempo(song, 0.5);
    const bpm = tempos.map((t) => t.bpm);
    expect(Math.min(...bpm)).toBeGreaterThanOrEqual(120 * 0.6);
    expect(Math.max(...bpm)).toBeLessThanOrEqual(120 * 1.2);
    expect(new Set(bpm.map((b) => b.toFixed(2))).size).toBeGreaterThan(4);
    expect(bpm.at(-1)!).toBeLessThan(bpm[8]! * 0.85);
    // One event per beat, on the beat: bars stay where they were.
    tempos.forEach((t, i) => expect(t.ticks).toBe(i * 480));
    const grid = phraseGrid(song);
    for (let b = 0; b < 64; b++) for (const e of [0.3, 1]) expect(tempoFactor(b, grid, e)).toBeGreaterThanOrEqual(0.6);
  });

  it('pedal alternates down and up, changes at new bass notes, and ends up', () => {
    const song = piece();
    expect(pedalFor(song, 0)).toEqual([]);
    const pedals = pedalFor(song, 0.5);
    pedals.forEach((p, i) => expect(p.down).toBe(i % 2 === 0));
    expect(pedals.at(-1)!.down).toBe(false);
    // A bass note every beat (0.5 s apart, above the 0.25 s minimum): a change every beat.
    expect(pedals.filter((p) => p.down)).toHaveLength(64);
    const map = tempoMapOf(song);
    expect(map.toSeconds(pedals[0]!.ticks)).toBeCloseTo(0.05, 2);
  });

  it('pedal lifts over a rest', () => {
    const song = emptySong(480);
    for (const t of [0, 480, 4800, 5280]) song.notes.push({ pitch: 48, velocity: 60, startTicks: t, endTicks: t + 400, track: 0, channel: 0 });
    const ups = pedalFor(song, 1).filter((p) => !p.down).map((p) => p.ticks);
    // Up when the keys stop before the rest (880), not only when the next note comes.
    expect(ups).toContain(880);
  });
});

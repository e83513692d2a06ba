import { describe, expect, it } from 'vitest';
import type { Note, Song } from '../song/song';
import { emptySong } from '../song/song';
import { NotesTokenizer, parseNotesToken, quantizeDurationSteps } from './notes';

const q = 480; // ppq of the fixtures: one quarter
function song(notes: [pitch: number, startQuarters: number, lengthQuarters: number, track?: number][]): Song {
  const s = emptySong(q);
  s.tracks.push({ name: 'Left', program: 0, channel: 0, isDrum: false });
  s.notes = notes.map(([pitch, start, length, track = 0]): Note => ({
    pitch,
    velocity: 64,
    startTicks: Math.round(start * q),
    endTicks: Math.round((start + length) * q),
    track,
    channel: 0,
  }));
  return s;
}

describe('NotesTokenizer', () => {
  const t = new NotesTokenizer();

  it('groups notes that start together with one duration, across hands, and writes steps between onsets', () => {
    const tokens = t.encode(
      song([
        [48, 0, 2, 1],
        [64, 0, 1],
        [67, 0, 1],
        [60, 0, 1],
        [62, 1, 0.5],
        [64, 1.5, 0.5],
        [72, 7.5, 1 / 3],
      ]),
    );
    expect(tokens).toEqual(['48:24', '60.64.67:12', '+12', '62:6', '+6', '64:6', '+48', '+24', '72:4']);
  });

  it('quantizes onsets to 1/12 quarter and durations to the nearest allowed value', () => {
    // Onset 1.04 quarters -> 12.48 steps -> 12; length 0.45 quarters -> 5.4 steps -> 6 (closer than 4 by ratio).
    expect(t.encode(song([[60, 1.04, 0.45]]))).toEqual(['+12', '60:6']);
    expect(quantizeDurationSteps(5.4)).toBe(6);
    expect(quantizeDurationSteps(4.6)).toBe(4);
    expect(quantizeDurationSteps(200)).toBe(96);
    expect(quantizeDurationSteps(0.1)).toBe(1);
  });

  it('decodes to the grid: onsets and durations come back exactly when on it', () => {
    const input = song([
      [60, 0, 1],
      [64, 0, 1],
      [55, 0.25, 0.75, 1],
      [67, 1 + 1 / 3, 1 / 3],
      [72, 9, 2],
    ]);
    const out = t.decode(t.encode(input), { bpm: 90, velocity: 70 });
    expect(out.tempos).toEqual([{ ticks: 0, bpm: 90 }]);
    expect(out.timeSignatures).toEqual([{ ticks: 0, numerator: 4, denominator: 4 }]);
    expect(
      out.notes.map((n) => [n.pitch, n.startTicks / q, (n.endTicks - n.startTicks) / q, n.velocity]),
    ).toEqual([
      [60, 0, 1, 70],
      [64, 0, 1, 70],
      [55, 0.25, 0.75, 70],
      [67, 1 + 1 / 3, 1 / 3, 70],
      [72, 9, 2, 70],
    ]);
  });

  it('skips malformed tokens and never double-strikes a pitch at one onset', () => {
    const out = t.decode(['60:12', 'garbage', '60:24', '+999', '+12', '200:12', '61:0', '62:6']);
    expect(out.notes.map((n) => [n.pitch, n.startTicks, n.endTicks])).toEqual([
      [60, 0, 960],
      [62, 480, 720],
    ]);
  });

  it('parses what it formats', () => {
    expect(parseNotesToken('60.64.67:12')).toEqual({ pitches: [60, 64, 67], durationSteps: 12, step: 0 });
    expect(parseNotesToken('+7')).toEqual({ pitches: [], durationSteps: 0, step: 7 });
    expect(parseNotesToken('+49')).toBeUndefined();
    expect(parseNotesToken('<unk>')).toBeUndefined();
  });

  it('splits steps and chords exactly, and approximates a rare note', () => {
    const known = new Set(['+12', '+1', '60:12', '64:12', '67:6']);
    const has = (x: string): boolean => known.has(x);
    expect(t.substitute('+14', has)).toEqual({ tokens: ['+12', '+1', '+1'], exact: true });
    expect(t.substitute('60.64:12', has)).toEqual({ tokens: ['60:12', '64:12'], exact: true });
    expect(t.substitute('67:8', has)).toEqual({ tokens: ['67:6'], exact: false });
    expect(t.substitute('61:8', has)).toBeUndefined();
  });
});

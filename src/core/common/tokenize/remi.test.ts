import { describe, expect, it } from 'vitest';
import type { Note, Song } from '../song/song';
import { emptySong } from '../song/song';
import { parseRemiToken, RemiGrammar, RemiTokenizer, timeSignatureToken } from './remi';

const q = 480;
function song(notes: [pitch: number, startQuarters: number, lengthQuarters: number][], ts: [atQuarter: number, n: number, d: number][] = []): Song {
  const s = emptySong(q);
  if (ts.length) s.timeSignatures = ts.map(([at, numerator, denominator]) => ({ ticks: at * q, numerator, denominator }));
  s.notes = notes.map(([pitch, start, length]): Note => ({ pitch, velocity: 64, startTicks: Math.round(start * q), endTicks: Math.round((start + length) * q), track: 0, channel: 0 }));
  return s;
}

describe('RemiTokenizer', () => {
  const t = new RemiTokenizer();

  it('writes bars, the time signature, positions once per onset and pitch-duration pairs lowest first', () => {
    const tokens = t.encode(song([[64, 0, 1], [48, 0, 2], [67, 1.5, 0.5], [72, 4 + 1 / 3, 1 / 3]]));
    expect(tokens).toEqual(['Bar', 'TS_4/4', 'Pos_0', 'P_48', 'D_24', 'P_64', 'D_12', 'Pos_18', 'P_67', 'D_6', 'Bar', 'Pos_4', 'P_72', 'D_4']);
  });

  it('follows time signature changes at bar lines and keeps empty bars', () => {
    const tokens = t.encode(song([[60, 0, 1], [62, 3 + 6, 1]], [[0, 3, 4], [3, 6, 8]]));
    // Bar 1: 3/4 (3 quarters); bars 2, 3: 6/8 (3 quarters each); the second note is at quarter 9 = bar 4.
    expect(tokens).toEqual(['Bar', 'TS_3/4', 'Pos_0', 'P_60', 'D_12', 'Bar', 'TS_6/8', 'Bar', 'Bar', 'Pos_0', 'P_62', 'D_12']);
  });

  it('decodes back to the same notes and time signatures (round trip)', () => {
    const s = song([[60, 0, 1], [64, 0, 0.5], [67, 2.5, 1.5], [59, 3 + 1 / 3, 2], [72, 7, 0.25]], [[0, 3, 4], [6, 2, 4]]);
    const tokens = t.encode(s);
    const back = t.decode(tokens, { ppq: q, bpm: 90 });
    expect(back.notes.map((n) => [n.pitch, n.startTicks, n.endTicks])).toEqual(s.notes.map((n) => [n.pitch, n.startTicks, n.endTicks]).sort((a, b) => a[1]! - b[1]! || a[0]! - b[0]!));
    expect(back.timeSignatures.map((x) => [x.ticks, x.numerator, x.denominator])).toEqual([[0, 3, 4], [6 * q, 2, 4]]);
    expect(back.tempos[0]!.bpm).toBe(90);
    expect(t.encode(back)).toEqual(tokens);
  });

  it('folds pitches outside the piano by octaves and keeps one note per pitch and onset (the longest)', () => {
    const tokens = t.encode(song([[10, 0, 1], [60, 0, 0.5], [60, 0, 2]]));
    expect(tokens).toEqual(['Bar', 'TS_4/4', 'Pos_0', 'P_22', 'D_12', 'P_60', 'D_24']);
  });

  it('skips malformed tokens and notes without a position or a pitch when decoding', () => {
    // P_60 has no position yet; the lone D_12 has no pitch; Pos_x and Pos_200 are malformed, so
    // P_64 keeps the last good position.
    const back = t.decode(['Bar', 'P_60', 'D_12', 'Pos_0', 'D_12', 'P_62', 'Pos_x', 'D_6', 'Pos_200', 'P_64', 'D_3']);
    expect(back.notes.map((n) => [n.pitch, n.startTicks, n.endTicks])).toEqual([[62, 0, 240], [64, 0, 120]]);
  });

  it('has a fixed vocabulary of a few hundred tokens, every one parseable', () => {
    const base = t.baseTokens();
    expect(base.length).toBeGreaterThan(200);
    expect(base.length).toBeLessThan(400);
    expect(base.every((x) => parseRemiToken(x) !== undefined)).toBe(true);
    expect(timeSignatureToken(4, 4)).toBe('TS_4/4');
    expect(timeSignatureToken(8, 8)).toBe('TS_4/4');
  });
});

describe('RemiGrammar', () => {
  it('accepts every encoded piece and refuses a pitch without a duration or a position going back', () => {
    const tokens = new RemiTokenizer().encode(song([[60, 0, 1], [64, 0, 1], [67, 1, 1], [72, 5, 1]]));
    const g = new RemiGrammar();
    for (const x of tokens) {
      expect(g.allows(parseRemiToken(x)), x).toBe(true);
      g.advance(parseRemiToken(x)!);
    }
    const h = new RemiGrammar();
    for (const x of ['Bar', 'TS_4/4', 'Pos_12', 'P_60']) h.advance(parseRemiToken(x)!);
    expect(h.allows(parseRemiToken('P_62'))).toBe(false);
    h.advance(parseRemiToken('D_12')!);
    expect(h.allows(parseRemiToken('Pos_6'))).toBe(false);
    expect(h.allows(parseRemiToken('Pos_24'))).toBe(true);
    expect(h.allows(parseRemiToken('Pos_48'))).toBe(false);
    // An onset's pitches rise, each once (as the encoder writes them), so a chord cannot grow without end.
    expect(h.allows(parseRemiToken('P_60'))).toBe(false);
    expect(h.allows(parseRemiToken('P_55'))).toBe(false);
    expect(h.allows(parseRemiToken('P_64'))).toBe(true);
    h.advance(parseRemiToken('Pos_24')!);
    expect(h.allows(parseRemiToken('P_55'))).toBe(true);
  });
});

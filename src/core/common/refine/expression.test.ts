import { describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { TransformerDecoder } from '../models/transformerDecoder';
import { transformerWeightShapes, type TransformerArchitecture } from '../models/transformer';
import { PerformanceTokenizer, performanceTokens } from '../tokenize/performance';
import { emptySong } from '../song/song';
import { refineExpression } from './expression';

const arch: TransformerArchitecture = { vocabSize: 388, seqLength: 64, layers: 1, heads: 2, dModel: 16, dFF: 32, dropout: 0 };

/** A decoder with random weights: enough to exercise every constraint. */
function randomDecoder(seed: number): TransformerDecoder {
  const rng = new Rng(seed);
  const size = transformerWeightShapes(arch).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
  const flat = Float32Array.from({ length: size }, () => (rng.next() - 0.5) * 0.6);
  return new TransformerDecoder(arch, flat);
}

/** A flat, grid-timed piece like the generator writes: chords and a melody at one velocity. */
function gridSong() {
  const song = emptySong(480);
  const rng = new Rng(9);
  for (let beat = 0; beat < 24; beat++) {
    const t = beat * 240;
    song.notes.push({ pitch: 60 + rng.int(12), velocity: 80, startTicks: t, endTicks: t + 200, track: 0, channel: 0 });
    if (beat % 4 === 0)
      for (const p of [48, 52, 55]) song.notes.push({ pitch: p, velocity: 80, startTicks: t, endTicks: t + 900, track: 0, channel: 0 });
  }
  song.notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
  return song;
}

const tokenizer = new PerformanceTokenizer();
const vocab = performanceTokens();
const toIds = (tokens: string[]): number[] => tokens.map((t) => vocab.indexOf(t));
const toTokens = (ids: number[]): string[] => ids.map((i) => vocab[i]!);

describe('refineExpression', () => {
  it('at strength 0 keeps every pitch and the order of onsets, and bounds timing drift', () => {
    const song = gridSong();
    const ids = toIds(tokenizer.encode(song));
    const { ids: out, report } = refineExpression(ids, randomDecoder(1), { strength: 0, seed: 3 });
    const refined = tokenizer.decode(toTokens(out));
    const original = tokenizer.decode(toTokens(ids));
    expect(refined.notes.map((n) => n.pitch)).toEqual(original.notes.map((n) => n.pitch));
    expect(report.notesResampled).toBe(0);
    // Onsets move by at most the drift bound (3 steps = 30 ms = 28.8 ticks at 120 BPM, ppq 480).
    refined.notes.forEach((n, i) => expect(Math.abs(n.startTicks - original.notes[i]!.startTicks)).toBeLessThanOrEqual(29));
    // Velocities are no longer flat.
    expect(new Set(refined.notes.map((n) => n.velocity)).size).toBeGreaterThan(1);
    expect(report.notes).toBe(song.notes.length);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const ids = toIds(tokenizer.encode(gridSong()));
    const a = refineExpression(ids, randomDecoder(2), { seed: 5 }).ids;
    const b = refineExpression(ids, randomDecoder(2), { seed: 5 }).ids;
    const c = refineExpression(ids, randomDecoder(2), { seed: 6 }).ids;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('at strength 1 may change pitches, within an octave, keeping note-ons and note-offs paired', () => {
    const ids = toIds(tokenizer.encode(gridSong()));
    const { ids: out, report } = refineExpression(ids, randomDecoder(4), { strength: 1, seed: 1, improbableShare: 0.5 });
    expect(report.notesResampled).toBeGreaterThan(0);
    const original = tokenizer.decode(toTokens(ids)).notes;
    const refined = tokenizer.decode(toTokens(out)).notes;
    expect(refined.length).toBe(original.length);
    const sortedOnsets = (ns: typeof original) => ns.map((n) => n.startTicks);
    expect(sortedOnsets(refined).length).toBe(sortedOnsets(original).length);
    for (const n of refined) expect(n.endTicks).toBeGreaterThan(n.startTicks);
  });
});

describe('refineExpression velocities', () => {
  const VELOCITY_BASE = 355;
  it('writes a velocity token only where the bin changes, as the corpus does', () => {
    const ids = toIds(tokenizer.encode(gridSong()));
    const { ids: out } = refineExpression(ids, randomDecoder(3), { seed: 2 });
    let bin = 16;
    let changes = 0;
    for (const id of out)
      if (id > VELOCITY_BASE) {
        expect(id - VELOCITY_BASE).not.toBe(bin);
        bin = id - VELOCITY_BASE;
        changes++;
      }
    expect(changes).toBeGreaterThan(0);
  });

  it('holds the velocities to the level it is given', () => {
    const ids = toIds(tokenizer.encode(gridSong()));
    const mean = (level: number): number => {
      const { ids: out } = refineExpression(ids, randomDecoder(5), { seed: 4, levelAt: () => level });
      const v = tokenizer.decode(toTokens(out)).notes.map((n) => n.velocity);
      return v.reduce((s, x) => s + x, 0) / v.length;
    };
    // Without a level this random model stays near its first bin (62); with one it goes to it.
    const soft = mean(40);
    const loud = mean(90);
    expect(soft).toBeLessThan(55);
    expect(loud).toBeGreaterThan(75);
    expect(loud - soft).toBeGreaterThan(25);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../common/errors';
import { COMPOSER_PRESETS } from '../../common/models/composer';
import { Rng } from '../../common/random';
import type { Note } from '../../common/song/song';
import { emptySong } from '../../common/song/song';
import { chordEvents, EventDictionary, longestRepeatedRun } from '../../common/evaluate/repetition';
import { RemiTokenizer } from '../../common/tokenize/remi';
import type { Vocabulary } from '../../common/tokenize/types';
import { trainComposer } from '../train/trainComposer';
import { resourcesDir } from '../paths';
import { checkComposed, generatePieces } from './generate';

const tokenizer = new RemiTokenizer();
const vocab: Vocabulary = { kind: 'remi', tokens: tokenizer.baseTokens(), counts: tokenizer.baseTokens().map(() => 1) };
const index = new Map(vocab.tokens.map((t, i) => [t, i]));

/** Eight bars of quarter notes of a C major arpeggio over a held bass note, as remi ids. */
function piece(rng: Rng): Uint16Array {
  const s = emptySong(480);
  const shift = rng.int(5);
  for (let bar = 0; bar < 8; bar++) {
    s.notes.push({ pitch: 36 + shift, velocity: 64, startTicks: bar * 1920, endTicks: bar * 1920 + 1920, track: 0, channel: 0 });
    [60, 64, 67, 72].forEach((p, k) => s.notes.push({ pitch: p + shift, velocity: 64, startTicks: bar * 1920 + k * 480, endTicks: bar * 1920 + k * 480 + 480, track: 0, channel: 0 }));
  }
  return Uint16Array.from(tokenizer.encode(s), (t) => index.get(t)!);
}

/** The onset groups of `notes` (the pitches struck together at each onset), as evaluate counts them. */
function onsetGroups(notes: readonly Note[]): string[] {
  return chordEvents({ ...emptySong(480), notes: [...notes].sort((a, b) => a.startTicks - b.startTicks) });
}

describe('generate with a composer', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes pieces with notes in time, reproducible from the seed', async () => {
    const rng = new Rng(2);
    const pieces = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, split: (i < 10 ? 'train' : 'valid') as 'train' | 'valid', tokens: piece(rng) }));
    const modelDir = path.join(dir, 'model');
    await trainComposer({ vocab, pieces }, { modelDir, architecture: COMPOSER_PRESETS.tiny.architecture, training: { ...COMPOSER_PRESETS.tiny.training, steps: 120 } });
    const a = await generatePieces({ modelPath: modelDir, outputPath: path.join(dir, 'a'), seed: 5, count: 2, seconds: 8 });
    expect(a.map((p) => p.runtime)).toEqual(['composer', 'composer']);
    for (const p of a) {
      expect(p.stats.durationSeconds).toBeGreaterThanOrEqual(8);
      expect(p.song.notes.length).toBeGreaterThan(10);
      // Learned: most onsets fall on quarter-note beats (every training onset does).
      const onBeat = p.song.notes.filter((n) => n.startTicks % 480 === 0).length;
      expect(onBeat / p.song.notes.length).toBeGreaterThan(0.7);
    }
    const again = await generatePieces({ modelPath: modelDir, outputPath: path.join(dir, 'b'), seed: 6, count: 1, seconds: 8 });
    expect(again[0]!.tokens).toEqual(a[1]!.tokens);
  }, 60_000);

  it('the bundled composer returns to its own passages with its piece memory, and wanders without it', async () => {
    const bundled = path.join(resourcesDir(), 'models', 'composer');
    const repeatedShare = (notes: readonly Note[]): number => {
      // 4-grams of onset groups (the pitches sounding together at each onset), as evaluate counts them.
      const seq = onsetGroups(notes);
      const grams = seq.slice(3).map((_, i) => seq.slice(i, i + 4).join(' '));
      return 1 - new Set(grams).size / Math.max(1, grams.length);
    };
    const share = async (memory: number | undefined, out: string): Promise<number> => {
      const pieces = await generatePieces({ modelPath: bundled, outputPath: path.join(dir, out), seed: 1, count: 4, seconds: 45, ...(memory !== undefined ? { memory } : {}) });
      return pieces.reduce((a, p) => a + repeatedShare(p.song.notes), 0) / pieces.length;
    };
    const withMemory = await share(undefined, 'mem');
    const without = await share(0, 'nomem');
    // Real pieces repeat about 28% of their 4-grams; without the memory the composer repeats almost
    // none (0.000 here). With it, 0.092: less than before the cycle guard of --max-repeat (over 0.1),
    // since part of what it repeated was one figure looped, which the guard now breaks.
    expect(without).toBeLessThan(0.02);
    expect(withMemory).toBeGreaterThan(without + 0.06);
  }, 120_000);

  it('never repeats one onset group more than --max-repeat times in a row, though its model would', async () => {
    // A model trained on one note struck every beat wants nothing else.
    const one = (): Uint16Array => {
      const s = emptySong(480);
      for (let i = 0; i < 32; i++) s.notes.push({ pitch: 60, velocity: 64, startTicks: i * 480, endTicks: i * 480 + 400, track: 0, channel: 0 });
      return Uint16Array.from(tokenizer.encode(s), (t) => index.get(t)!);
    };
    const pieces = Array.from({ length: 6 }, (_, i) => ({ id: `r${i}`, split: (i < 5 ? 'train' : 'valid') as 'train' | 'valid', tokens: one() }));
    const modelDir = path.join(dir, 'repeat');
    await trainComposer({ vocab, pieces }, { modelDir, architecture: COMPOSER_PRESETS.tiny.architecture, training: { ...COMPOSER_PRESETS.tiny.training, steps: 120 } });
    const longestRun = (notes: readonly Note[]): number => longestRepeatedRun(new EventDictionary().encode(onsetGroups(notes)));
    const [free] = await generatePieces({ modelPath: modelDir, outputPath: path.join(dir, 'free'), seed: 3, count: 1, seconds: 12, maxRepeat: 0 });
    const [guarded] = await generatePieces({ modelPath: modelDir, outputPath: path.join(dir, 'guarded'), seed: 3, count: 1, seconds: 12, maxRepeat: 4 });
    expect(longestRun(free!.song.notes)).toBeGreaterThan(8);
    expect(longestRun(guarded!.song.notes)).toBeLessThanOrEqual(4);
    expect(guarded!.song.notes.length).toBeGreaterThan(10);
  }, 60_000);

  it('does not sit in a short cycle of onset groups for longer than 8 x --max-repeat groups', async () => {
    // A model trained on two notes in alternation, every eighth.
    const two = (): Uint16Array => {
      const s = emptySong(480);
      for (let i = 0; i < 64; i++) s.notes.push({ pitch: i % 2 ? 64 : 60, velocity: 64, startTicks: i * 240, endTicks: i * 240 + 200, track: 0, channel: 0 });
      return Uint16Array.from(tokenizer.encode(s), (t) => index.get(t)!);
    };
    const pieces = Array.from({ length: 6 }, (_, i) => ({ id: `a${i}`, split: (i < 5 ? 'train' : 'valid') as 'train' | 'valid', tokens: two() }));
    const modelDir = path.join(dir, 'cycle');
    await trainComposer({ vocab, pieces }, { modelDir, architecture: COMPOSER_PRESETS.tiny.architecture, training: { ...COMPOSER_PRESETS.tiny.training, steps: 120 } });
    /** The most onset groups in a row that repeat the group 2 before (plus the 2 that start the cycle). */
    const cycleSpan = (notes: readonly Note[]): number => {
      const seq = onsetGroups(notes);
      let best = 0;
      for (let i = 2, run = 0; i < seq.length; i++) best = Math.max(best, (run = seq[i] === seq[i - 2] ? run + 1 : 0) + 2);
      return best;
    };
    const [free] = await generatePieces({ modelPath: modelDir, outputPath: path.join(dir, 'cfree'), seed: 4, count: 1, seconds: 30, maxRepeat: 0 });
    const [guarded] = await generatePieces({ modelPath: modelDir, outputPath: path.join(dir, 'cguarded'), seed: 4, count: 1, seconds: 30, maxRepeat: 2 });
    expect(cycleSpan(free!.song.notes)).toBeGreaterThan(40);
    expect(cycleSpan(guarded!.song.notes)).toBeLessThanOrEqual(16);
  }, 60_000);

  it('refuses a piece with no notes, or far shorter than asked, naming the model', () => {
    const empty = emptySong(480);
    expect(() => checkComposed('models/x', empty, 60, undefined, 3)).toThrow(ModelError);
    expect(() => checkComposed('models/x', empty, 60, undefined, 3)).toThrow(/models\/x composed 0 notes .* train it longer/);
    const short = emptySong(480);
    short.notes.push({ pitch: 60, velocity: 80, startTicks: 0, endTicks: 480, track: 0, channel: 0 });
    expect(() => checkComposed('m', short, 60, undefined, 1)).toThrow(/1 notes/);
    expect(() => checkComposed('m', short, 0.4, undefined, 1)).not.toThrow();
    expect(() => checkComposed('m', short, undefined, 10, 1)).toThrow(/10 events/);
  });
});

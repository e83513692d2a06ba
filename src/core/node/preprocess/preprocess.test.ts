import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError, CorpusError, UsageError } from '../../common/errors';
import type { Note, Song } from '../../common/song/song';
import { emptySong } from '../../common/song/song';
import { NotesTokenizer } from '../../common/tokenize/notes';
import { PerformanceTokenizer } from '../../common/tokenize/performance';
import { encodeMidi } from '../midi/write';
import { loadTokenDataset } from './dataset';
import { preprocess, splitPieces } from './preprocess';

/** A small piece: a C major scale in quarters over a held bass, transposed by `shift`. */
function piece(shift: number, bars = 2): Song {
  const s = emptySong(480);
  const notes: Note[] = [];
  for (let i = 0; i < bars * 4; i++) {
    const pitch = 60 + shift + [0, 2, 4, 5, 7, 9, 11, 12][i % 8]!;
    notes.push({
      pitch,
      velocity: 70 + i,
      startTicks: i * 480,
      endTicks: i * 480 + 400,
      track: 0,
      channel: 0,
    });
  }
  for (let b = 0; b < bars; b++)
    notes.push({
      pitch: 48 + shift,
      velocity: 50,
      startTicks: b * 1920,
      endTicks: b * 1920 + 1920,
      track: 0,
      channel: 0,
    });
  s.notes = notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
  return s;
}

describe('preprocess', () => {
  let dir: string;
  let input: string;
  let output: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-pre-'));
    input = path.join(dir, 'data');
    output = path.join(dir, 'processed_data');
    await fs.mkdir(path.join(input, 'Bach'), { recursive: true });
    await fs.writeFile(path.join(input, 'Bach', 'a.mid'), encodeMidi(piece(0)));
    await fs.writeFile(path.join(input, 'Bach', 'b.mid'), encodeMidi(piece(2, 3)));
    await fs.writeFile(path.join(input, 'c.mid'), encodeMidi(piece(-3)));
    await fs.writeFile(path.join(input, 'd.midi'), encodeMidi(piece(5, 1)));
    await fs.writeFile(path.join(input, 'broken.mid'), 'this is not MIDI');
    await fs.writeFile(path.join(input, 'notes.txt'), 'liner notes');
    await fs.writeFile(
      path.join(input, 'metadata.csv'),
      'composer,title,year,midi\nJ. S. Bach,Scale in C,1722,Bach/a.mid\n',
    );
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes every data folder (remi, notes, performance) with consistent files and manifest numbers', async () => {
    const result = await preprocess({
      inputPath: input,
      outputPath: output,
      validFraction: 0.25,
      seed: 7,
      minCount: 1,
    });
    expect(result.files).toBe(5);
    expect(result.pieces).toBe(4);
    expect(result.skipped.map((s) => s.path).sort()).toEqual(['broken.mid', 'notes.txt']);
    expect(result.skipped.find((s) => s.path === 'broken.mid')!.reason).toMatch(
      /broken\.mid is not a readable MIDI file/,
    );
    expect((await fs.readdir(output)).sort()).toEqual(['notes', 'performance', 'remi']);

    const notes = await loadTokenDataset(output, 'notes');
    const m = notes.manifest;
    expect(m.kind).toBe('notes');
    expect(m.counts).toMatchObject({ files: 5, pieces: 4, trainPieces: 3, validPieces: 1 });
    expect(m.counts.notes).toBe(10 + 15 + 10 + 5);
    expect(m.counts.tokens).toBe(notes.pieces.reduce((s, p) => s + p.tokens.length, 0));
    expect(m.counts.trainTokens + m.counts.validTokens).toBe(m.counts.tokens);
    expect(m.seed).toBe(7);
    expect(m.corpusHash).toMatch(/^[0-9a-f]{64}$/);
    expect(m.skipped).toHaveLength(2);
    expect(m.timings.totalSeconds).toBeGreaterThan(0);
    expect(notes.index.find((e) => e.id === 'Bach/a.mid')).toMatchObject({
      composer: 'J. S. Bach',
      title: 'Scale in C',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // remi: a fixed vocabulary (nothing unknown) and the same split.
    const remi = await loadTokenDataset(output, 'remi');
    expect(remi.vocab.unknownId).toBeUndefined();
    expect(remi.manifest.counts.notes).toBe(m.counts.notes);
    expect(remi.pieces.map((p) => [p.id, p.split])).toEqual(notes.pieces.map((p) => [p.id, p.split]));

    // The stored ids are exactly the tokenizer's tokens (min count 1: every training token is kept).
    const tokenizer = new NotesTokenizer();
    const train = notes.pieces.find((p) => p.split === 'train')!;
    const file = notes.index.find((e) => e.id === train.id)!.path;
    const { parseMidi } = await import('../../common/midi/read');
    const song = parseMidi(await fs.readFile(file), { sustain: false }).song;
    expect([...train.tokens].map((id) => notes.vocab.tokens[id])).toEqual(tokenizer.encode(song));

    const perf = await loadTokenDataset(output, 'performance');
    expect(perf.vocab.tokens).toHaveLength(388);
    expect(perf.manifest.coverage.exactEventShare).toBe(1);
    const decoded = new PerformanceTokenizer().decode(
      [...perf.pieces[0]!.tokens].map((id) => perf.vocab.tokens[id]!),
    );
    expect(decoded.notes.length).toBeGreaterThan(0);
    // The split is by piece and the same for both tokenizers.
    expect(perf.pieces.map((p) => [p.id, p.split])).toEqual(notes.pieces.map((p) => [p.id, p.split]));
  });

  it('handles rare tokens with --min-count and reports the coverage', async () => {
    await preprocess({
      inputPath: input,
      outputPath: output,
      kinds: ['notes'],
      minCount: 3,
      validFraction: 0,
    });
    const ds = await loadTokenDataset(output);
    const c = ds.manifest.coverage;
    expect(ds.manifest.counts.validPieces).toBe(0);
    expect(c.exactEventShare + c.decomposedEventShare + c.approximatedEventShare).toBeLessThanOrEqual(1);
    expect(c.exactEventShare).toBeLessThan(1);
    // Events here are single notes (nothing to split), so every kept event was seen at least 3 times.
    ds.vocab.tokens.forEach((t, id) => {
      if (t !== '<unk>' && !t.startsWith('+')) expect(ds.vocab.counts[id]).toBeGreaterThanOrEqual(3);
    });
    expect(c.approximatedEventShare + c.unknownTokenShare).toBeGreaterThan(0);
    expect(await fs.readdir(output)).toEqual(['notes']);
  });

  it('splits by piece the same way for the same seed', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `p${i}.mid`);
    const a = splitPieces(ids, 0.1, 3);
    expect([...a.values()].filter((s) => s === 'valid')).toHaveLength(2);
    expect(splitPieces([...ids].reverse(), 0.1, 3)).toEqual(a);
    expect(splitPieces(ids, 0.1, 4)).not.toEqual(a);
  });

  it('rejects a missing input path, an empty folder and a folder of non-MIDI files clearly', async () => {
    await expect(preprocess({ inputPath: path.join(dir, 'nope'), outputPath: output })).rejects.toThrow(
      UsageError,
    );
    await expect(preprocess({ inputPath: path.join(dir, 'nope'), outputPath: output })).rejects.toThrow(
      /--input_path .*nope does not exist/,
    );
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    await expect(preprocess({ inputPath: empty, outputPath: output })).rejects.toThrow(UsageError);
    await expect(preprocess({ inputPath: empty, outputPath: output })).rejects.toThrow(/holds no MIDI files/);
    const bad = path.join(dir, 'bad');
    await fs.mkdir(bad);
    await fs.writeFile(path.join(bad, 'x.mid'), 'MThd but not really');
    await expect(preprocess({ inputPath: bad, outputPath: output })).rejects.toThrow(CorpusError);
    await expect(preprocess({ inputPath: bad, outputPath: output })).rejects.toThrow(
      /^The only MIDI file under --input_path .*bad could not be used; the reason: x\.mid is not a readable MIDI file/,
    );
    await fs.writeFile(path.join(bad, 'y.mid'), 'not midi');
    await expect(preprocess({ inputPath: bad, outputPath: output })).rejects.toThrow(
      /^None of the 2 MIDI files under --input_path .*bad could be used; the first reason: x\.mid/,
    );
    await expect(preprocess({ inputPath: input, outputPath: output, validFraction: 0.9 })).rejects.toThrow(
      /--valid-fraction/,
    );
    await expect(fs.stat(output)).rejects.toThrow();
  });

  it('leaves nothing behind when cancelled, and keeps an earlier output whole', async () => {
    await preprocess({ inputPath: input, outputPath: output, kinds: ['notes'] });
    const before = await fs.readFile(path.join(output, 'notes', 'tokens.bin'));
    const controller = new AbortController();
    const run = preprocess(
      { inputPath: input, outputPath: output, kinds: ['notes', 'performance'], minCount: 1 },
      {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.done === 2) controller.abort();
        },
      },
    );
    await expect(run).rejects.toThrow(CancelledError);
    expect(await fs.readdir(output)).toEqual(['notes']);
    expect(await fs.readFile(path.join(output, 'notes', 'tokens.bin'))).toEqual(before);
  });

  it('ignores its own output folder inside the input folder', async () => {
    const inside = path.join(input, 'processed');
    await preprocess({ inputPath: input, outputPath: inside, kinds: ['notes'] });
    const again = await preprocess({ inputPath: input, outputPath: inside, kinds: ['notes'] });
    expect(again.files).toBe(5);
    expect(again.skipped.map((s) => s.path).sort()).toEqual(['broken.mid', 'notes.txt']);
  });

  it('accepts a single MIDI file', async () => {
    const r = await preprocess({
      inputPath: path.join(input, 'c.mid'),
      outputPath: output,
      kinds: ['performance'],
    });
    expect(r.pieces).toBe(1);
    const ds = await loadTokenDataset(output);
    expect(ds.pieces.map((p) => [p.id, p.split])).toEqual([['c.mid', 'train']]);
  });
});

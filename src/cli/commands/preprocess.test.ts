import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Song } from '../../core/common/song/song';
import { emptySong } from '../../core/common/song/song';
import { encodeMidi } from '../../core/node/midi/write';
import { runCli } from '../testing';

let dir: string;
/** Two quarter-note chords, C-E-G then D-F-A, and a held low C. */
function fixture(): Song {
  const s = emptySong(480);
  const n = (pitch: number, start: number, end: number): Song['notes'][number] => ({
    pitch,
    velocity: 80,
    startTicks: start,
    endTicks: end,
    track: 0,
    channel: 0,
  });
  s.notes = [
    n(36, 0, 1920),
    n(60, 0, 480),
    n(64, 0, 480),
    n(67, 0, 480),
    n(62, 480, 960),
    n(65, 480, 960),
    n(69, 480, 960),
  ];
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-cli-pre-'));
  await mkdir(path.join(dir, 'data'));
  await writeFile(path.join(dir, 'data', 'one.mid'), encodeMidi(fixture()));
  await writeFile(path.join(dir, 'data', 'two.mid'), encodeMidi(fixture()));
  await writeFile(path.join(dir, 'data', 'junk.mid'), 'not midi');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = runCli;

describe('cadenza tokenize', () => {
  const file = (): string => path.join(dir, 'data', 'one.mid');

  it('prints seed tokens as a JSON array of strings', async () => {
    const r = await run('tokenize', file(), '--tokenizer', 'seed', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(['C2', '0.4.7', '2.5.9']);
  });

  it('prints notes tokens as text with a count', async () => {
    const r = await run('tokenize', file(), '--tokenizer', 'notes');
    expect(r.code).toBe(0);
    expect(r.out).toContain('36:48 60.64.67:12 +12 62.65.69:12');
    expect(r.out).toContain('(4 tokens, 4 distinct)');
  });

  it('rejects an unknown tokenizer (exit 2) and a file that is not MIDI (exit 1)', async () => {
    const bad = await run('tokenize', file(), '--tokenizer', 'words');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--tokenizer must be one of remi, notes, performance, seed, not "words".');
    const junk = await run('tokenize', path.join(dir, 'data', 'junk.mid'), '--tokenizer', 'performance');
    expect(junk.code).toBe(1);
    expect(junk.err).toMatch(/junk\.mid is not a readable MIDI file/);
  });
});

describe('cadenza preprocess', () => {
  it('writes both data folders and reports the skipped file as JSON', async () => {
    const out = path.join(dir, 'processed');
    const r = await run(
      'preprocess',
      '--input_path',
      path.join(dir, 'data'),
      '--output_path',
      out,
      '--min-count',
      '1',
      '--json',
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as {
      pieces: number;
      skipped: { path: string }[];
      results: { kind: string }[];
    };
    expect(result.pieces).toBe(2);
    expect(result.skipped.map((s) => s.path)).toEqual(['junk.mid']);
    expect(result.results.map((k) => k.kind)).toEqual(['remi', 'notes', 'performance']);
    const manifest = JSON.parse(await readFile(path.join(out, 'notes', 'manifest.json'), 'utf8')) as {
      counts: { pieces: number; trainPieces: number; validPieces: number };
    };
    expect(manifest.counts).toMatchObject({ pieces: 2, trainPieces: 1, validPieces: 1 });
  });

  it('names the flag in usage errors and exits 2', async () => {
    const missing = await run('preprocess', '--input_path', path.join(dir, 'nowhere'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--input_path');
    expect(missing.err).toContain('does not exist');
    const none = await run('preprocess');
    expect(none.code).toBe(2);
    expect(none.err).toContain('--input_path is required');
    const kind = await run('preprocess', '--input_path', path.join(dir, 'data'), '--tokenizer', 'seed');
    expect(kind.code).toBe(2);
    expect(kind.err).toContain('--tokenizer must be remi, notes, performance, both (notes and performance) or all');
    const fraction = await run('preprocess', '--input_path', path.join(dir, 'data'), '--valid-fraction', '2');
    expect(fraction.code).toBe(2);
    expect(fraction.err).toContain('--valid-fraction must be a number from 0 to 0.5');
  });

  it('exits 2 (usage) with one clear sentence on a folder without MIDI files', async () => {
    await mkdir(path.join(dir, 'empty'), { recursive: true });
    const r = await run(
      'preprocess',
      '--input_path',
      path.join(dir, 'empty'),
      '--output_path',
      path.join(dir, 'p2'),
    );
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('holds no MIDI files');
  });
});

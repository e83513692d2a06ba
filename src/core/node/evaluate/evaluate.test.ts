import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../common/audio/wav';
import { CancelledError, DataError, UsageError } from '../../common/errors';
import type { EvaluationReport } from '../../common/evaluate/report';
import { songOf } from '../../common/evaluate/testSongs';
import { encodeMidi } from '../midi/write';
import { runEvaluation, writeEvaluationReport } from './evaluate';
import { resolveSource } from '../sources/resolve';

let dir: string;
const ascending = (from: number, count: number): [number, number, number][] =>
  Array.from({ length: count }, (_, i) => [from + i, i, 1]);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-evaluate-'));
  await mkdir(path.join(dir, 'ref', 'A'), { recursive: true });
  await mkdir(path.join(dir, 'gen'));
  await mkdir(path.join(dir, 'audio'));
  await writeFile(path.join(dir, 'ref', 'A', 'one.mid'), encodeMidi(songOf(ascending(40, 20))));
  await writeFile(path.join(dir, 'ref', 'two.mid'), encodeMidi(songOf(ascending(70, 16))));
  await writeFile(
    path.join(dir, 'ref', 'three.mid'),
    encodeMidi(
      songOf([
        ...ascending(60, 8),
        ...ascending(62, 8).map(([p, s, l]): [number, number, number] => [p, s + 8, l]),
      ]),
    ),
  );
  // Events 45..54 of reference piece one (10 events), between pitches no reference piece uses.
  const copy: [number, number, number][] = [
    [100, 0, 1],
    [101, 1, 1],
    ...ascending(45, 10).map(([p, s, l]): [number, number, number] => [p, s + 2, l]),
    [102, 12, 1],
  ];
  await writeFile(path.join(dir, 'gen', 'copy.mid'), encodeMidi(songOf(copy)));
  await writeFile(path.join(dir, 'gen', 'novel.mid'), encodeMidi(songOf(ascending(23, 12))));
  await writeFile(path.join(dir, 'gen', 'broken.mid'), 'not a MIDI file');
  const rate = 48000;
  const a = Math.pow(10, -23 / 20);
  const x = Float32Array.from({ length: 3 * rate }, (_, i) => a * Math.sin((2 * Math.PI * 1000 * i) / rate));
  await writeFile(
    path.join(dir, 'audio', 'tone.wav'),
    encodeWav({ sampleRateHz: rate, channels: [x, x] }, 'pcm16'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runEvaluation', () => {
  let report: EvaluationReport;
  beforeAll(async () => {
    report = await runEvaluation({
      reference: path.join(dir, 'ref'),
      generated: path.join(dir, 'gen'),
      audio: path.join(dir, 'audio'),
    });
  });

  it('measures every set, reference first, and names pieces by their path in the folder', () => {
    expect(report.sets.map((s) => s.role)).toEqual(['reference', 'generated', 'audio']);
    expect(report.sets[0]!.pieces.map((p) => p.name)).toEqual(['A/one', 'three', 'two']);
    expect(report.sets[0]!.summary!.scalars.noteCount).toMatchObject({ count: 3, min: 16, max: 20 });
    expect(report.sets[1]!.comparison!.length).toBeGreaterThan(10);
  });

  it('finds the 10 events copied from reference piece A/one', () => {
    const copy = report.sets[1]!.pieces.find((p) => p.name === 'copy')!;
    expect(copy.copied).toMatchObject({ events: 10, referenceName: 'A/one', offset: 2 });
    expect(copy.copied!.share).toBeCloseTo(10 / 13);
  });

  it('keeps going past an unreadable file, with a warning that names it', () => {
    const broken = report.sets[1]!.pieces.find((p) => p.name === 'broken')!;
    expect(broken.measures).toBeUndefined();
    expect(broken.error).toMatch(/broken\.mid is not a readable MIDI file/);
    expect(report.warnings.some((w) => w.includes('broken.mid'))).toBe(true);
  });

  it('measures the WAV file: -23 dBFS stereo 1 kHz is -23 LUFS', () => {
    const tone = report.sets[2]!.pieces[0]!.audio!;
    expect(tone.integratedLufs).toBeCloseTo(-23, 0);
    expect(tone.clippedSamples).toBe(0);
    expect(tone.bitsPerSample).toBe(16);
    expect(tone.durationSeconds).toBeCloseTo(3, 6);
  });

  it('writes report.json and a self-contained report.html', async () => {
    const out = path.join(dir, 'out');
    const { jsonPath, htmlPath } = await writeEvaluationReport(out, report);
    const json = JSON.parse(await readFile(jsonPath, 'utf8')) as EvaluationReport;
    expect(json.format).toBe('cadenza-evaluation');
    expect(json.sets[1]!.pieces.find((p) => p.name === 'copy')!.copied!.events).toBe(10);
    const html = await readFile(htmlPath, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('A/one');
    // Offline and embeddable: no scripts, no external resources.
    expect(html).not.toMatch(/<script|src=|href="http|@import|url\(/i);
  });
});

describe('a requested set with nothing readable', () => {
  it('fails with a DataError naming the flag, the folder and the first unreadable file', async () => {
    const bad = path.join(dir, 'all-bad');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, 'notes.mid'), 'not midi\n');
    const run = runEvaluation({ reference: path.join(dir, 'ref'), generated: bad });
    await expect(run).rejects.toThrow(DataError);
    await expect(runEvaluation({ reference: path.join(dir, 'ref'), generated: bad })).rejects.toThrow(
      new RegExp(`^--generated names ${bad}, but its only file could not be read \\(first: .*notes\\.mid`),
    );
    await expect(runEvaluation({ reference: bad, generated: path.join(dir, 'gen') })).rejects.toThrow(
      /^--reference names .*all-bad, but its only file could not be read/,
    );
  });
});

describe('cancelling', () => {
  it('stops with CancelledError between pieces', async () => {
    const controller = new AbortController();
    const run = runEvaluation(
      { reference: path.join(dir, 'ref'), generated: path.join(dir, 'gen') },
      { signal: controller.signal, onProgress: (e) => e.done === 1 && controller.abort() },
    );
    await expect(run).rejects.toThrow(CancelledError);
  });
});

describe('resolveSource', () => {
  it('refuses a missing path or a folder without music with a UsageError naming the flag', async () => {
    await expect(resolveSource(path.join(dir, 'nope'), '--generated')).rejects.toThrow(UsageError);
    await expect(resolveSource(path.join(dir, 'nope'), '--generated')).rejects.toThrow(
      /--generated names .*nope, which does not exist/,
    );
    await mkdir(path.join(dir, 'empty'), { recursive: true });
    await expect(resolveSource(path.join(dir, 'empty'), '--refined')).rejects.toThrow(/holds no MIDI/);
  });

  it('reads preprocessed data through its index.json, with splits', async () => {
    const data = path.join(dir, 'processed', 'notes');
    await mkdir(data, { recursive: true });
    await writeFile(path.join(data, 'manifest.json'), '{}');
    await writeFile(
      path.join(data, 'index.json'),
      JSON.stringify([
        {
          id: 'A/one.mid',
          path: path.join(dir, 'ref', 'A', 'one.mid'),
          offset: 0,
          length: 1,
          split: 'train',
        },
        { id: 'two.mid', path: path.join(dir, 'ref', 'two.mid'), offset: 1, length: 1, split: 'valid' },
      ]),
    );
    const source = await resolveSource(path.join(dir, 'processed'), '--reference');
    expect(source.kind).toBe('processed-data');
    expect(source.dataDir).toBe(data);
    expect(source.pieces).toEqual([
      { id: 'A/one.mid', name: 'A/one', midiPath: path.join(dir, 'ref', 'A', 'one.mid'), split: 'train' },
      { id: 'two.mid', name: 'two', midiPath: path.join(dir, 'ref', 'two.mid'), split: 'valid' },
    ]);
  });
});

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../common/audio/wav';
import { CancelledError, IoError, MidiParseError, UsageError } from '../../common/errors';
import type { ProgressEvent } from '../../common/progress';
import { encodeMidi } from '../midi/write';
import { createRenderer, type Renderer } from './render';
import { planSynthesis, synthesizeFiles } from './batch';
import { fixtureSong, TEST_SOUNDFONT } from './testFixtures';

let dir: string;
let input: string;
let renderer: Renderer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-synth-'));
  input = path.join(dir, 'midi');
  await mkdir(path.join(input, 'sub'), { recursive: true });
  const song = fixtureSong();
  await writeFile(path.join(input, 'a.mid'), encodeMidi(song));
  song.notes = song.notes.map((n) => ({ ...n, pitch: n.pitch + 2 }));
  await writeFile(path.join(input, 'sub', 'b.MIDI'), encodeMidi(song));
  await writeFile(path.join(input, 'broken.mid'), 'MThd but not really');
  await writeFile(path.join(input, 'notes.txt'), 'not a midi file and not named like one');
  renderer = await createRenderer({ engine: 'wasm', soundfontPath: TEST_SOUNDFONT });
});
afterAll(async () => {
  renderer?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('planSynthesis', () => {
  it('finds .mid/.midi files recursively and mirrors their folders under the output', async () => {
    const jobs = await planSynthesis([input], '/out');
    expect(jobs).toEqual([
      { midiPath: path.join(input, 'a.mid'), wavPath: '/out/a.wav' },
      { midiPath: path.join(input, 'broken.mid'), wavPath: '/out/broken.wav' },
      { midiPath: path.join(input, 'sub', 'b.MIDI'), wavPath: '/out/sub/b.wav' },
    ]);
  });

  it('refuses a missing input, an empty folder and two files bound for one WAV', async () => {
    const gone = path.join(dir, 'gone');
    await expect(planSynthesis([gone], '/out')).rejects.toThrow(UsageError);
    await expect(planSynthesis([gone], '/out')).rejects.toThrow(
      `--midi_path names ${gone}, which does not exist.`,
    );
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const error = await planSynthesis([empty], '/out').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`No MIDI files (.mid, .midi) were found in ${empty}.`);
    await expect(
      planSynthesis([path.join(input, 'a.mid'), path.join(input, 'a.mid')], '/out'),
    ).rejects.toThrow(/would both be written to/);
  });
});

describe('synthesizeFiles', () => {
  it('renders a folder, reports the broken file, and leaves no partial files', async () => {
    const out = path.join(dir, 'audio');
    const events: ProgressEvent[] = [];
    const report = await synthesizeFiles(
      [input],
      out,
      { renderer, format: 'pcm24' },
      { onProgress: (e) => events.push(e) },
    );
    expect(report.engine).toBe('wasm');
    expect(report.results.map((r) => path.relative(out, r.wavPath))).toEqual([
      'a.wav',
      path.join('sub', 'b.wav'),
    ]);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]!.midiPath).toBe(path.join(input, 'broken.mid'));
    expect(report.failures[0]!.error.code).toBe('MIDI_PARSE');
    expect(report.failures[0]!.error.message).toContain('broken.mid');
    expect(report.audioSeconds).toBeCloseTo(
      report.results[0]!.durationSeconds + report.results[1]!.durationSeconds,
      9,
    );
    expect((await readdir(out)).sort()).toEqual(['a.wav', 'a.wav.json', 'sub']);
    expect((await readdir(path.join(out, 'sub'))).sort()).toEqual(['b.wav', 'b.wav.json']);
    const a = decodeWav(await readFile(path.join(out, 'a.wav')));
    expect(a.format).toBe('pcm24');
    // Progress: one event per readable file before it starts, then the end.
    expect(events.map((e) => `${e.done}/${e.total}`)).toEqual(['0/2', '1/2', '2/2']);
  });

  it('renders on worker threads with the same results as in this thread', async () => {
    const out = path.join(dir, 'parallel');
    const events: ProgressEvent[] = [];
    const report = await synthesizeFiles(
      [input],
      out,
      { engine: 'wasm', soundfontPath: TEST_SOUNDFONT, jobs: 2 },
      { onProgress: (e) => events.push(e) },
    );
    expect(report.engine).toBe('wasm');
    expect(report.soundfontPath).toBe(TEST_SOUNDFONT);
    expect(report.results.map((r) => path.relative(out, r.wavPath))).toEqual([
      'a.wav',
      path.join('sub', 'b.wav'),
    ]);
    expect(report.failures.map((f) => path.basename(f.midiPath))).toEqual(['broken.mid']);
    expect(events.at(-1)).toMatchObject({ done: 2, total: 2 });
    // The same samples as a render in this thread, within 16-bit rounding.
    const solo = await renderer.renderMidiBytes(await readFile(path.join(input, 'a.mid')));
    const wav = decodeWav(await readFile(path.join(out, 'a.wav')));
    expect(wav.lengthFrames).toBe(solo.channels[0]!.length);
    let worst = 0;
    for (let i = 0; i < wav.lengthFrames; i++)
      worst = Math.max(worst, Math.abs(wav.channels[0]![i]! - solo.channels[0]![i]!));
    expect(worst).toBeLessThanOrEqual(1 / 32768);
  });

  it('stops the workers with CancelledError, leaving no partial files', async () => {
    const out = path.join(dir, 'cancelled');
    const controller = new AbortController();
    const pending = synthesizeFiles(
      [input],
      out,
      { engine: 'wasm', soundfontPath: TEST_SOUNDFONT, jobs: 2 },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow(CancelledError);
    // Cancelled before any WAV was written, the folder it would have made is not there at all.
    const left = existsSync(out) ? await readdir(out, { recursive: true }) : [];
    expect(left.filter((f) => String(f).endsWith('.tmp'))).toEqual([]);
  });

  it('fails at once, before loading a SoundFont, when no file is readable MIDI', async () => {
    const error = await synthesizeFiles([path.join(input, 'broken.mid')], path.join(dir, 'none'), {
      soundfontPath: path.join(dir, 'no-such.sf2'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MidiParseError);
    expect((error as MidiParseError).message).toMatch(/broken\.mid is not a readable MIDI file/);
    expect(existsSync(path.join(dir, 'none'))).toBe(false);
  });

  it('leaves no new folder when the SoundFont is missing or not a SoundFont', async () => {
    const out = path.join(dir, 'never', 'audio');
    const missing = synthesizeFiles([path.join(input, 'a.mid')], out, {
      engine: 'wasm',
      soundfontPath: path.join(dir, 'no-such.sf2'),
      jobs: 1,
    });
    await expect(missing).rejects.toThrow(/no-such\.sf2 does not exist/);
    const text = synthesizeFiles([path.join(input, 'a.mid')], out, {
      engine: 'wasm',
      soundfontPath: path.join(input, 'notes.txt'),
      jobs: 1,
    });
    await expect(text).rejects.toThrow(/is not a SoundFont/);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('checks the output folder before rendering anything', async () => {
    const blocker = path.join(dir, 'blocker');
    await writeFile(blocker, 'x');
    await expect(synthesizeFiles([input], path.join(blocker, 'out'), { renderer })).rejects.toThrow(IoError);
  });
});

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Midi } from '@tonejs/midi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, CorpusError, IoError, UsageError } from '../../common/errors';
import type { LstmArchitecture } from '../../common/models/lstm';
import { emptySong } from '../../common/song/song';
import { durationSeconds } from '../../common/song/tempo';
import { CorpusStore } from '../corpus/store';
import { parseMidi } from '../../common/midi/read';
import { writeMidiFile } from '../midi/write';
import { exportLstmModelFolder } from '../onnx/modelFolder';
import { writeRandomLstmModel } from '../onnx/randomModel';
import type { GeneratedPiece } from './generate';
import { generatePieces } from './generate';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cadenza-generate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Real `notes` tokens, including two whose pitches lie outside the piano (10, 120) to exercise folding. */
const TOKENS = [
  '<unk>',
  '+3',
  '+6',
  '+12',
  '+24',
  '60:12',
  '62:6',
  '64:6',
  '65:12',
  '67:3',
  '69:6',
  '71:12',
  '72:24',
  '48.55.64:12',
  '43:24',
  '36:12',
  '84:6',
  '21:3',
  '108:3',
  '60.64.67:24',
  '10:12',
  '120:6',
  '57.60.64:6',
  '79:4',
];
const arch: LstmArchitecture = { vocabSize: TOKENS.length, window: 8, embedding: 6, lstmUnits: [10], denseUnits: 12, dropout: 0 };
let model = '';
let modelNoExport = '';

beforeAll(async () => {
  model = await writeRandomLstmModel(path.join(tmp, 'model'), arch, TOKENS, { seed: 5 });
  await exportLstmModelFolder(model);
  modelNoExport = await writeRandomLstmModel(path.join(tmp, 'model-no-onnx'), arch, TOKENS, { seed: 5 });
});

/** The sidecar fields these tests read. */
interface Sidecar {
  seed: number;
  model: { runtime: string };
  options: Record<string, unknown>;
  primer: { kind: string; events: number };
  stats: { tokens: number; events: number };
}

/** Checks every rule a written MIDI must meet, reading the file back with our parser and with @tonejs/midi. */
function checkWrittenMidi(file: string): void {
  const bytes = new Uint8Array(readFileSync(file));
  const tone = new Midi(bytes);
  expect(tone.header.tempos.length).toBeGreaterThan(0);
  expect(tone.header.timeSignatures.length).toBeGreaterThan(0);
  const toneNotes = tone.tracks.flatMap((t) => t.notes);
  expect(toneNotes.length).toBeGreaterThan(0);
  for (const n of toneNotes) {
    expect(n.midi >= 21 && n.midi <= 108).toBe(true);
    expect(n.durationTicks).toBeGreaterThan(0);
  }
  const { song } = parseMidi(bytes, { path: file, sustain: false });
  expect(song.notes.length).toBe(toneNotes.length);
  expect(song.notes.length).toBeGreaterThan(0);
  expect(song.tempos.length).toBeGreaterThan(0);
  expect(song.timeSignatures.length).toBeGreaterThan(0);
  const sounding = new Map<number, number>();
  for (const n of song.notes) {
    expect(n.pitch).toBeGreaterThanOrEqual(21);
    expect(n.pitch).toBeLessThanOrEqual(108);
    expect(n.endTicks).toBeGreaterThan(n.startTicks);
    // Notes are sorted by onset: a same-pitch note must not start before the previous one ended.
    expect(n.startTicks).toBeGreaterThanOrEqual(sounding.get(n.pitch) ?? 0);
    sounding.set(n.pitch, n.endTicks);
  }
}

describe('generatePieces', () => {
  it('writes a MIDI file and a sidecar that agree, and the MIDI meets the written-file rules', async () => {
    const out = path.join(tmp, 'out-basic');
    const [piece] = await generatePieces({ modelPath: model, outputPath: out, events: 120, seed: 3 });
    expect(piece!.midiPath).toBe(path.join(out, 'generated_midi', 'piece-3.mid'));
    expect(piece!.runtime).toBe('onnx');
    checkWrittenMidi(piece!.midiPath);
    const sidecar = JSON.parse(readFileSync(piece!.sidecarPath, 'utf8')) as Sidecar;
    expect(sidecar.seed).toBe(3);
    expect(sidecar.model.runtime).toBe('onnx');
    expect(sidecar.options).toMatchObject({ temperature: 1, topP: 0.95, topK: 0, maxRepeat: 4, events: 120, tempoBpm: 120 });
    expect(sidecar.primer).toMatchObject({ kind: 'none', events: 0 });
    // --events counts notes and chords; the time-step tokens between them come on top.
    expect(sidecar.stats.events).toBe(120);
    expect(piece!.tokens.filter((t) => !t.startsWith('+'))).toHaveLength(120);
    expect(sidecar.stats.tokens).toBe(piece!.tokens.length);
    expect(piece!.tokens.at(-1)!.startsWith('+')).toBe(false);
    expect(sidecar.stats).toEqual(piece!.stats);
    expect(piece!.tokens).not.toContain('<unk>');
    // The repetition guard: never more than maxRepeat identical events in a row.
    expect(piece!.stats.longestRepeatedRun).toBeLessThanOrEqual(4);
  });

  it('gives the same piece for the same seed on ONNX and TF.js, alone or in a batch', async () => {
    const onnx = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-onnx'), events: 100, seed: 11, count: 3, runtime: 'onnx' });
    const tfjs = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-tfjs'), events: 100, seed: 11, count: 3, runtime: 'tfjs' });
    expect(tfjs.map((p) => p.runtime)).toEqual(['tfjs', 'tfjs', 'tfjs']);
    expect(onnx.map((p) => p.seed)).toEqual([11, 12, 13]);
    for (const p of [...onnx, ...tfjs]) checkWrittenMidi(p.midiPath);
    for (let i = 0; i < 3; i++) expect(tfjs[i]!.tokens).toEqual(onnx[i]!.tokens);
    expect(onnx[0]!.tokens).not.toEqual(onnx[1]!.tokens);
    const [alone] = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-alone'), events: 100, seed: 12 });
    expect(alone!.tokens).toEqual(onnx[1]!.tokens);
  });

  it('gives the same piece on both ONNX engines, and records the engine', async () => {
    const [incremental] = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-incremental'), events: 60, seed: 21, engine: 'incremental' });
    const [window] = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-window'), events: 60, seed: 21, engine: 'window', threads: 2 });
    expect(window!.tokens).toEqual(incremental!.tokens);
    const sidecar = (p: GeneratedPiece): { engine: string; threads: number; onnx?: string } =>
      (JSON.parse(readFileSync(p.sidecarPath, 'utf8')) as { model: { engine: string; threads: number; onnx?: string } }).model;
    expect(sidecar(incremental!)).toMatchObject({ engine: 'incremental', threads: 1 });
    expect(sidecar(window!)).toMatchObject({ engine: 'window', threads: 2, onnx: 'file' });
  });

  it('runs on ONNX built in memory when the folder has no usable export, writing nothing there', async () => {
    const [auto] = await generatePieces({ modelPath: modelNoExport, outputPath: path.join(tmp, 'out-auto'), events: 20, seed: 1, engine: 'window' });
    expect(auto!.runtime).toBe('onnx');
    const sidecar = JSON.parse(readFileSync(auto!.sidecarPath, 'utf8')) as { model: { onnx: string } };
    expect(sidecar.model.onnx).toBe('memory');
    expect(existsSync(path.join(modelNoExport, 'model.onnx'))).toBe(false);
    const [tfjs] = await generatePieces({ modelPath: modelNoExport, outputPath: path.join(tmp, 'out-auto-tfjs'), events: 20, seed: 1, runtime: 'tfjs' });
    expect(tfjs!.runtime).toBe('tfjs');
    expect(tfjs!.tokens).toEqual(auto!.tokens);
    // A damaged model.onnx whose fingerprint still matches is not fatal either.
    const damaged = await writeRandomLstmModel(path.join(tmp, 'model-damaged'), arch, TOKENS, { seed: 5 });
    await exportLstmModelFolder(damaged);
    await fs.writeFile(path.join(damaged, 'model.onnx'), 'not a model');
    const [again] = await generatePieces({ modelPath: damaged, outputPath: path.join(tmp, 'out-damaged'), events: 20, seed: 1, engine: 'window' });
    expect(again!.tokens).toEqual(auto!.tokens);
  });

  it('stops at the requested length in seconds', async () => {
    const [piece] = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-seconds'), seconds: 8, seed: 4, tempoBpm: 90 });
    expect(durationSeconds(piece!.song)).toBeGreaterThanOrEqual(8);
    // It stops within one check (8 events) of reaching the length, so it cannot run far past it.
    expect(piece!.stats.tokens).toBeLessThan(8 * 32);
    expect(piece!.song.tempos[0]!.bpm).toBe(90);
  });

  it('continues a MIDI primer and records it', async () => {
    const primerFile = path.join(tmp, 'primer.mid');
    const song = emptySong(480);
    song.tempos = [{ ticks: 0, bpm: 75 }];
    song.notes = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76].map((pitch, i) => ({
      pitch,
      velocity: 90,
      startTicks: i * 240,
      endTicks: i * 240 + 240,
      track: 0,
      channel: 0,
    }));
    await writeMidiFile(primerFile, song);
    const [piece] = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-primer'), events: 30, seed: 2, primer: primerFile });
    const sidecar = JSON.parse(readFileSync(piece!.sidecarPath, 'utf8')) as Sidecar;
    expect(sidecar.primer.kind).toBe('midi');
    expect(sidecar.primer.events).toBeGreaterThan(0);
    expect(sidecar.options.tempoBpm).toBe(75);
    const [unprimed] = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-primer'), events: 30, seed: 2 });
    expect(piece!.tokens).not.toEqual(unprimed!.tokens);
  });

  it('takes a primer from the corpus store by id prefix', async () => {
    const dataDir = path.join(tmp, 'data');
    const file = path.join(tmp, 'corpus-piece.mid');
    const song = emptySong(480);
    song.notes = [48, 52, 55, 60, 64, 67, 72].map((pitch, i) => ({ pitch, velocity: 80, startTicks: i * 120, endTicks: i * 120 + 480, track: 0, channel: 0 }));
    await writeMidiFile(file, song);
    const store = await CorpusStore.open(dataDir);
    await store.import([file]);
    const [stored] = await store.list();
    const [piece] = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-corpus'), events: 12, seed: 1, primer: `corpus:${stored!.id.slice(0, 10)}`, dataDir });
    const sidecar = JSON.parse(readFileSync(piece!.sidecarPath, 'utf8')) as Sidecar;
    expect(sidecar.primer.kind).toBe('corpus');
    expect(sidecar.primer.events).toBeGreaterThan(0);
  });

  it('does not overwrite earlier pieces of the same name', async () => {
    const out = path.join(tmp, 'out-names');
    const a = await generatePieces({ modelPath: model, outputPath: out, events: 10, seed: 1, name: 'etude', count: 2 });
    const b = await generatePieces({ modelPath: model, outputPath: out, events: 10, seed: 1, name: 'etude' });
    expect(a.map((p) => p.name)).toEqual(['etude-1', 'etude-2']);
    expect(b[0]!.name).toBe('etude');
    const c = await generatePieces({ modelPath: model, outputPath: out, events: 10, seed: 1, name: 'etude' });
    // 'etude' and 'etude-2' are taken (the latter by the batch), so the next free name is 'etude-3'.
    expect(c[0]!.name).toBe('etude-3');
    expect(readdirSync(path.join(out, 'generated_midi')).filter((f) => f.endsWith('.mid'))).toHaveLength(4);
    expect(readdirSync(path.join(out, 'generated_midi')).filter((f) => f.endsWith('.json'))).toHaveLength(4);
  });

  it('refuses bad options with a UsageError naming the option, writing nothing', async () => {
    const out = path.join(tmp, 'out-bad');
    const base = { modelPath: model, outputPath: out };
    await expect(generatePieces({ ...base, topP: 0 })).rejects.toThrow(/top-p/);
    await expect(generatePieces({ ...base, events: 10, seconds: 5 })).rejects.toThrow(UsageError);
    await expect(generatePieces({ ...base, count: 0 })).rejects.toThrow(/--count/);
    await expect(generatePieces({ ...base, name: '../escape' })).rejects.toThrow(/--name/);
    await expect(generatePieces({ ...base, primer: path.join(tmp, 'missing.mid') })).rejects.toThrow(/--primer/);
    await expect(generatePieces({ ...base, primer: 'corpus:abc', dataDir: path.join(tmp, 'empty-data') })).rejects.toThrow(CorpusError);
    await expect(generatePieces({ ...base, modelPath: path.join(tmp, 'no-model') })).rejects.toThrow(/no-model/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a missing model folder or primer as usage, and an unwritable output before the model loads', async () => {
    const out = path.join(tmp, 'out-missing');
    const noModel = path.join(tmp, 'no-model');
    const missing = generatePieces({ modelPath: noModel, outputPath: out });
    await expect(missing).rejects.toThrow(UsageError);
    await expect(missing).rejects.toThrow(`--model_path names ${noModel}, which does not exist.`);
    const primer = path.join(tmp, 'missing.mid');
    await expect(generatePieces({ modelPath: model, outputPath: out, primer })).rejects.toThrow(
      `--primer names ${primer}, which does not exist.`,
    );
    expect(existsSync(out)).toBe(false);
    const blocker = path.join(tmp, 'a-file');
    await fs.writeFile(blocker, 'x');
    const progress: string[] = [];
    const error = await generatePieces(
      { modelPath: model, outputPath: path.join(blocker, 'out'), events: 50 },
      { onProgress: (e) => progress.push(e.stage) },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect((error as IoError).message).toContain(blocker);
    // Refused before sampling began: no progress at all.
    expect(progress).toEqual([]);
  });

  it('stops on cancel with CancelledError and writes nothing', async () => {
    const out = path.join(tmp, 'out-cancel');
    const controller = new AbortController();
    const run = generatePieces(
      { modelPath: model, outputPath: out, events: 500, seed: 1 },
      { signal: controller.signal, onProgress: (e) => e.done >= 20 && controller.abort() },
    );
    await expect(run).rejects.toThrow(CancelledError);
    expect(existsSync(out)).toBe(false);
  });

  it('writes MIDI that the fluidsynth CLI renders to audio', async (ctx) => {
    const fluidsynth = ['/usr/bin/fluidsynth', '/usr/local/bin/fluidsynth'].find((p) => existsSync(p));
    if (!fluidsynth) {
      if (process.env.CI === 'true') throw new Error('fluidsynth is not installed, but CI installs it.');
      ctx.skip();
      return;
    }
    const [piece] = await generatePieces({ modelPath: model, outputPath: path.join(tmp, 'out-fs'), events: 40, seed: 9 });
    const sf = path.join(tmp, 'TimGM6mb.sf3');
    copyFileSync(path.join(process.cwd(), 'node_modules', '@librescore', 'sf3', 'TimGM6mb.sf3.wasm'), sf);
    const wav = path.join(tmp, 'piece.wav');
    execFileSync(fluidsynth, ['-ni', '-F', wav, '-r', '22050', sf, piece!.midiPath], { stdio: 'ignore', timeout: 30_000 });
    const bytes = await fs.readFile(wav);
    expect(bytes.subarray(0, 4).toString('ascii')).toBe('RIFF');
    // Some samples must be non-zero: the notes really sounded.
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset + 44, Math.floor((bytes.length - 44) / 2));
    expect(samples.some((s) => Math.abs(s) > 100)).toBe(true);
  });
});

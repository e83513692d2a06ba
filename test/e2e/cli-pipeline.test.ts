/**
 * The whole pipeline through the real `cadenza` command, as the README runs it: corpus import,
 * preprocess, train-lstm, generate, synthesize, train-transformer, refine, evaluate and serve,
 * on four small pieces the test writes itself, with the smallest settings that still run every
 * stage. Each step asserts on what it really wrote (notes, pitches, WAV samples, sidecars), that
 * `--json` prints exactly one JSON document on stdout, and that it exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/core/common/audio/wav';
import { readMidiFile } from '../../src/core/node/midi/read';
import { CADENZA_BIN, describeRun, jsonOf, REPO_ROOT, runCadenza, type CliRun } from './support/cli';
import { writeFixturePieces, type FixturePiece } from './support/pieces';

/** The small bundled SoundFont: loads in a fraction of the default's time, same code path. */
const SMALL_SOUNDFONT = path.join(REPO_ROOT, 'node_modules', '@librescore', 'sf3', 'TimGM6mb.sf3.wasm');

let work: string;
let pieces: FixturePiece[];
const dirs = {
  midi: '',
  data: '',
  processed: '',
  lstm: '',
  transformer: '',
  output: '',
  generated: '',
  audio: '',
  refined: '',
  report: '',
};

/** Runs a step and requires exit 0, failing with its stderr otherwise. */
async function step(args: string[], timeoutMs = 150_000): Promise<CliRun> {
  const run = await runCadenza(args, { timeoutMs });
  expect(run.code, describeRun(run)).toBe(0);
  // Nothing that looks like a stack trace reaches the user, even on success.
  expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  return run;
}

/** Peak absolute sample and RMS over every channel of a decoded WAV. */
function levels(channels: Float32Array[]): { peak: number; rms: number } {
  let peak = 0;
  let sumSquares = 0;
  let count = 0;
  for (const channel of channels)
    for (const x of channel) {
      peak = Math.max(peak, Math.abs(x));
      sumSquares += x * x;
      count++;
    }
  return { peak, rms: Math.sqrt(sumSquares / Math.max(1, count)) };
}

function filesIn(dir: string, extension: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(extension))
    .sort()
    .map((f) => path.join(dir, f));
}

// Each step is a separate process that loads its own modules; on a loaded 2-core machine a step can take a minute.
describe('cadenza pipeline, end to end', { timeout: 240_000 }, () => {
  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'cadenza-e2e-pipeline-'));
    for (const key of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[key] = path.join(work, key);
    dirs.generated = path.join(dirs.output, 'generated_midi');
    dirs.audio = path.join(dirs.output, 'audio');
    dirs.refined = path.join(dirs.output, 'refined_audio');
    pieces = writeFixturePieces(dirs.midi, 4, 24);
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('imports the pieces into a corpus with their notes and pitch ranges', async () => {
    const run = await step(['corpus', 'import', dirs.midi, '--data-dir', dirs.data, '--json']);
    const report = jsonOf<{
      added: { sourcePath: string; noteCount: number; pitchRange: { lowest: number; highest: number } }[];
    }>(run);
    expect(report.added).toHaveLength(pieces.length);
    for (const piece of pieces) {
      const stored = report.added.find((p) => p.sourcePath === piece.file);
      expect(stored, piece.file).toBeDefined();
      expect(stored!.noteCount).toBe(piece.noteCount);
      expect(stored!.pitchRange).toEqual({ lowest: piece.lowestPitch, highest: piece.highestPitch });
    }
    const list = jsonOf<unknown[]>(await step(['corpus', 'list', '--data-dir', dirs.data, '--json']));
    expect(list).toHaveLength(pieces.length);
    // Importing the same folder again adds nothing and leaves the index as it was.
    const index = readFileSync(path.join(dirs.data, 'corpus', 'index.json'), 'utf8');
    const again = jsonOf<{ added: unknown[]; duplicates: unknown[] }>(
      await step(['corpus', 'import', dirs.midi, '--data-dir', dirs.data, '--json']),
    );
    expect(again.added).toHaveLength(0);
    expect(again.duplicates).toHaveLength(pieces.length);
    expect(readFileSync(path.join(dirs.data, 'corpus', 'index.json'), 'utf8')).toBe(index);
  });

  it('ends quietly with exit 0 when the reader closes the pipe early (cadenza corpus list | head)', async () => {
    const child = spawn(
      process.execPath,
      [CADENZA_BIN, 'corpus', 'list', '--data-dir', dirs.data, '--json'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Closed before the command has started, so its one write meets a closed pipe (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('preprocesses the folder into remi/, notes/ and performance/ token data', async () => {
    const run = await step([
      'preprocess',
      '--input_path',
      dirs.midi,
      '--output_path',
      dirs.processed,
      '--min-count',
      '1',
      '--valid-fraction',
      '0.25',
      '--json',
    ]);
    const result = jsonOf<{
      pieces: number;
      results: {
        kind: string;
        manifest: {
          counts: { pieces: number; trainPieces: number; validPieces: number; tokens: number; notes: number };
        };
      }[];
    }>(run);
    expect(result.pieces).toBe(pieces.length);
    expect(result.results.map((r) => r.kind).sort()).toEqual(['notes', 'performance', 'remi']);
    const totalNotes = pieces.reduce((sum, p) => sum + p.noteCount, 0);
    for (const { kind, manifest } of result.results) {
      const dir = path.join(dirs.processed, kind);
      for (const f of ['vocab.json', 'tokens.bin', 'index.json', 'manifest.json'])
        expect(existsSync(path.join(dir, f)), `${kind}/${f}`).toBe(true);
      expect(manifest.counts.trainPieces + manifest.counts.validPieces).toBe(pieces.length);
      expect(manifest.counts.validPieces).toBeGreaterThanOrEqual(1);
      expect(manifest.counts.notes).toBe(totalNotes);
      // Tokens are stored as uint16 little-endian: two bytes each.
      expect(statSync(path.join(dir, 'tokens.bin')).size).toBe(manifest.counts.tokens * 2);
    }
  });

  it('trains a tiny LSTM and writes a complete model folder', async () => {
    const run = await step([
      'train-lstm',
      '--data_path',
      dirs.processed,
      '--model_path',
      dirs.lstm,
      '--preset',
      'tiny',
      '--epochs',
      '1',
      '--max-steps-per-epoch',
      '3',
      '--json',
    ]);
    const result = jsonOf<{
      config: { architecture: { vocabSize: number }; metrics: { validNll: number; steps: number } };
    }>(run);
    const vocab = JSON.parse(readFileSync(path.join(dirs.processed, 'notes', 'vocab.json'), 'utf8')) as {
      tokens?: unknown[];
    };
    if (vocab.tokens) expect(result.config.architecture.vocabSize).toBe(vocab.tokens.length);
    expect(result.config.metrics.steps).toBe(3);
    expect(Number.isFinite(result.config.metrics.validNll)).toBe(true);
    for (const f of ['config.json', 'weights.json', 'weights.bin', 'training-log.jsonl'])
      expect(existsSync(path.join(dirs.lstm, f)), f).toBe(true);
    const log = readFileSync(path.join(dirs.lstm, 'training-log.jsonl'), 'utf8').trim().split('\n');
    expect(log.length).toBeGreaterThan(0);
    for (const line of log) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('generates two playable pieces with sidecars that match the MIDI', async () => {
    const run = await step([
      'generate',
      '--model_path',
      dirs.lstm,
      '--output_path',
      dirs.output,
      '--count',
      '2',
      '--seconds',
      '6',
      '--seed',
      '5',
      '--json',
    ]);
    const generated = jsonOf<
      {
        midiPath: string;
        sidecarPath: string;
        seed: number;
        stats: { notes: number; lowestPitch: number; highestPitch: number };
      }[]
    >(run);
    expect(generated.map((g) => g.seed)).toEqual([5, 6]);
    for (const piece of generated) {
      const { song } = await readMidiFile(piece.midiPath);
      expect(song.notes.length).toBeGreaterThan(0);
      expect(song.notes.length).toBe(piece.stats.notes);
      const pitches = song.notes.map((n) => n.pitch);
      expect(Math.min(...pitches)).toBe(piece.stats.lowestPitch);
      expect(Math.max(...pitches)).toBe(piece.stats.highestPitch);
      // The model only saw notes within the fixtures' range (plus the tokenizer's own range).
      for (const n of song.notes) {
        expect(n.pitch).toBeGreaterThanOrEqual(21);
        expect(n.pitch).toBeLessThanOrEqual(108);
        expect(n.velocity).toBeGreaterThanOrEqual(1);
        expect(n.endTicks).toBeGreaterThan(n.startTicks);
      }
      const sidecar = JSON.parse(readFileSync(piece.sidecarPath, 'utf8')) as {
        seed: number;
        model: { path: string };
        options: { seconds: number };
      };
      expect(sidecar.seed).toBe(piece.seed);
      expect(sidecar.model.path).toBe(dirs.lstm);
      expect(sidecar.options.seconds).toBe(6);
    }
    expect(filesIn(dirs.generated, '.mid')).toHaveLength(2);
  });

  it('renders the generated MIDI to WAVs that hold sound for the length of the music', async () => {
    const run = await step([
      'synthesize',
      '--midi_path',
      dirs.generated,
      '--output_path',
      dirs.audio,
      '--soundfont',
      SMALL_SOUNDFONT,
      '--json',
    ]);
    const report = jsonOf<{
      results: {
        midiPath: string;
        wavPath: string;
        durationSeconds: number;
        sampleRateHz: number;
        peak: number;
      }[];
      failures: unknown[];
    }>(run);
    expect(report.failures).toEqual([]);
    expect(report.results).toHaveLength(2);
    for (const result of report.results) {
      const wav = decodeWav(new Uint8Array(readFileSync(result.wavPath)), result.wavPath);
      expect(wav.sampleRateHz).toBe(44100);
      expect(wav.channels).toHaveLength(2);
      const seconds = wav.lengthFrames / wav.sampleRateHz;
      expect(seconds).toBeCloseTo(result.durationSeconds, 2);
      const { song } = await readMidiFile(result.midiPath);
      const lastNoteSeconds =
        Math.max(...song.notes.map((n) => n.endTicks)) / song.ppq / (song.tempos[0]!.bpm / 60);
      expect(seconds).toBeGreaterThanOrEqual(lastNoteSeconds - 0.05);
      const { peak, rms } = levels(wav.channels);
      expect(peak).toBeCloseTo(result.peak, 3);
      expect(peak).toBeGreaterThan(0.01);
      expect(peak).toBeLessThanOrEqual(1);
      expect(rms).toBeGreaterThan(0.001);
      const sidecar = JSON.parse(readFileSync(`${result.wavPath}.json`, 'utf8')) as Record<string, unknown>;
      expect(sidecar).toMatchObject({
        midiPath: result.midiPath,
        wavPath: result.wavPath,
        sampleRateHz: 44100,
        soundfontPath: SMALL_SOUNDFONT,
      });
    }
  });

  it('trains a tiny Music Transformer and exports it', async () => {
    const run = await step([
      'train-transformer',
      '--data_path',
      dirs.processed,
      '--model_path',
      dirs.transformer,
      '--preset',
      'tiny',
      '--epochs',
      '1',
      '--max-steps-per-epoch',
      '2',
      '--json',
    ]);
    const result = jsonOf<{ steps: number; validNll: number }>(run);
    expect(result.steps).toBe(2);
    expect(Number.isFinite(result.validNll)).toBe(true);
    for (const f of ['config.json', 'weights.json', 'weights.bin'])
      expect(existsSync(path.join(dirs.transformer, f)), f).toBe(true);
  });

  it('trains the tiny transformer on the GPU through WebGPU (--backend webgpu) and records the adapter', async (ctx) => {
    const { probeWebGpu } = await import('../../src/core/node/tensor/webgpu');
    const probe = await probeWebGpu();
    if (!probe.ok) {
      if (process.env.CI === 'true') throw new Error(`No WebGPU adapter in CI (CI installs Mesa's lavapipe): ${probe.reason}`);
      console.warn(`[skip] no WebGPU adapter here (${probe.reason}): the webgpu CLI run is not tested`);
      ctx.skip();
    }
    const dir = path.join(work, 'transformer-webgpu');
    const run = await step(['train-transformer', '--data_path', dirs.processed, '--model_path', dir, '--preset', 'tiny', '--epochs', '1', '--max-steps-per-epoch', '2', '--backend', 'webgpu', '--json']);
    const result = jsonOf<{ steps: number; backend: string; backendReason: string }>(run);
    expect(result.steps).toBe(2);
    expect(result.backend).toBe('webgpu');
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { training: { adapter?: { description: string } } };
    expect(result.backendReason).toContain(config.training.adapter!.description);
    // Training writes the weights; model.onnx comes only from an explicit export (onnx/modelFolder.ts).
    expect(existsSync(path.join(dir, 'weights.bin'))).toBe(true);
    expect(existsSync(path.join(dir, 'model.onnx'))).toBe(false);
  });

  it('refines the rendered pieces: same pitches at strength 0, mastered to the loudness target', async () => {
    const run = await step([
      'refine',
      '--audio_path',
      dirs.audio,
      '--output_path',
      dirs.refined,
      '--model_path',
      dirs.transformer,
      '--soundfont',
      SMALL_SOUNDFONT,
      '--json',
    ]);
    const report = jsonOf<{
      pieces: {
        sourceMidi: string;
        refinedMidi: string;
        refinedAudio: string;
        mastering: { outputLufs: number; outputTruePeakDbtp: number };
      }[];
      failures: unknown[];
    }>(run);
    expect(report.failures).toEqual([]);
    expect(report.pieces).toHaveLength(2);
    for (const piece of report.pieces) {
      const before = (await readMidiFile(piece.sourceMidi)).song.notes
        .map((n) => n.pitch)
        .sort((a, b) => a - b);
      const after = (await readMidiFile(piece.refinedMidi)).song.notes
        .map((n) => n.pitch)
        .sort((a, b) => a - b);
      expect(after).toEqual(before);
      expect(piece.mastering.outputLufs).toBeGreaterThan(-18);
      expect(piece.mastering.outputLufs).toBeLessThan(-14);
      expect(piece.mastering.outputTruePeakDbtp).toBeLessThanOrEqual(-0.5);
      const wav = decodeWav(new Uint8Array(readFileSync(piece.refinedAudio)), piece.refinedAudio);
      expect(levels(wav.channels).rms).toBeGreaterThan(0.01);
      expect(existsSync(`${piece.refinedAudio}.json`)).toBe(true);
    }
  });

  it('evaluates everything into report.json and a self-contained report.html', async () => {
    const run = await step([
      'evaluate',
      '--reference',
      dirs.processed,
      '--generated',
      dirs.generated,
      '--refined',
      dirs.refined,
      '--audio',
      dirs.audio,
      '--model',
      dirs.lstm,
      '--output',
      dirs.report,
      '--json',
    ]);
    const result = jsonOf<{ jsonPath: string; htmlPath: string }>(run);
    const report = JSON.parse(readFileSync(result.jsonPath, 'utf8')) as {
      sets: { role: string; pieces: unknown[] }[];
      likelihood: { modelNll: number; ngramNll: number; ngramOrder: number; unigramNll: number; targets: number; unknownTokens: number } | null;
    };
    const counts = Object.fromEntries(report.sets.map((s) => [s.role, s.pieces.length]));
    expect(counts).toMatchObject({ generated: 2, refined: 2, audio: 2 });
    expect(counts.reference).toBeGreaterThanOrEqual(1);
    // The model's held-out NLL beside a 5-gram's and the unigram's, on the same targets.
    expect(report.likelihood?.modelNll).toBeGreaterThan(0);
    expect(report.likelihood?.ngramOrder).toBe(5);
    expect(report.likelihood?.ngramNll).toBeGreaterThan(0);
    expect(report.likelihood?.unigramNll).toBeGreaterThan(0);
    expect(report.likelihood?.targets).toBeGreaterThan(0);
    const html = readFileSync(result.htmlPath, 'utf8');
    expect(html).toContain('<svg');
    // Self-contained: no script, style or image fetched from elsewhere.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves the app on a free port, answers on the printed URL and stops on Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [CADENZA_BIN, 'serve', '--port', '0', '--data-dir', dirs.data, '--json'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const info = await new Promise<{ url: string; port: number }>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`serve printed no URL in 60 s; stderr: ${stderr}`)),
          60_000,
        );
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          try {
            const value = JSON.parse(stdout) as { url: string; port: number };
            clearTimeout(timer);
            resolve(value);
          } catch {
            /* the JSON document is not complete yet */
          }
        });
        child.on('close', () => reject(new Error(`serve exited before printing its URL; stderr: ${stderr}`)));
      });
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      expect(info.port).toBeGreaterThan(0);
      const response = await fetch(info.url);
      expect(response.status).toBe(200);
      const withoutToken = await fetch(new URL('/api', info.url).href).catch(() => null);
      if (withoutToken) expect(withoutToken.status).not.toBe(200);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('draws a progress bar with an ETA on a terminal', () => {
    // `script` gives the command a pseudo-terminal, as a user's shell would.
    if (spawnSync('script', ['--version']).status !== 0) return;
    // A wide terminal, so the bar line is not cut at 80 columns.
    const command = `stty cols 200; ${JSON.stringify(process.execPath)} ${JSON.stringify(CADENZA_BIN)} preprocess --input_path ${JSON.stringify(dirs.midi)} --output_path ${JSON.stringify(path.join(work, 'tty'))} --min-count 1`;
    const result = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status, result.stdout).toBe(0);
    // The bar redraws in place: carriage return, erase-line (ESC [2K), then `[####....] … eta m:ss`.
    const ESC = String.fromCharCode(27);
    expect(result.stdout).toContain(`\r${ESC}[2K`);
    expect(result.stdout).toMatch(/\[[#.]{24}\] \d+\/\d+ \d+:\d\d eta (--:--|\d+:\d\d)/);
  });
});

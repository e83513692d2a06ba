/**
 * `generatePieces`: the whole of `cadenza generate` behind the CLI and the app. Opens the model
 * on the chosen runtime, builds each piece's starting context (primer or seeded filler), samples
 * all pieces as one batch, decodes, makes the songs playable and writes
 * `<output>/generated_midi/<name>.mid` with a `<name>.json` sidecar.
 *
 * Seeds: piece i of a run with seed s uses seed s + i for its filler context and its sampling,
 * and the sidecar records it, so `--seed <that> --count 1` regenerates that piece alone, on
 * either runtime and in any batch.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ModelError, throwIfCancelled, UsageError } from '../../common/errors';
import { checkWritableDir } from '../fs/writableDir';
import { sampleSequences } from '../../common/generate/loop';
import type { PlayableReport } from '../../common/generate/playable';
import { makePlayable } from '../../common/generate/playable';
import { primerContext } from '../../common/generate/primer';
import type { SamplingOptions } from '../../common/generate/sampling';
import { checkSamplingOptions, DEFAULT_SAMPLING } from '../../common/generate/sampling';
import type { PieceStats } from '../../common/generate/stats';
import { pieceStats } from '../../common/generate/stats';
import { checkChoice, checkNumber } from '../../common/validate';
import { DEFAULT_TEMPO_BPM, GENERATE_LIMITS } from '../../common/generate/options';
import type { ProgressEvent, RunOptions } from '../../common/progress';
import { Rng } from '../../common/random';
import type { Song } from '../../common/song/song';
import { durationSeconds } from '../../common/song/tempo';
import { getTokenizer } from '../../common/tokenize';
import { remiNoteEvents } from '../../common/tokenize/remi';
import { CorpusStore } from '../corpus/store';
import { writeFileAtomic, writeJsonAtomic } from '../fs/atomic';
import { encodeMidi } from '../midi/write';
import { dataDir as appDataDir } from '../paths';
import type { CorpusLookup, ResolvedPrimer } from './primer';
import { resolvePrimer } from './primer';
import type { LstmRuntime, OnnxEngine, RuntimeChoice } from './runtime';
import { ONNX_ENGINES, openLstmRuntime, RUNTIME_CHOICES } from './runtime';
import { isComposerFolder } from '../models/composer/config';
import { COMPOSER_SAMPLING } from '../../common/models/composer';
import { sampleComposer } from '../models/composer/sample';
import type { ComposerRuntime } from './composerRuntime';
import { openComposerRuntime } from './composerRuntime';
import { memoryScaleOf } from '../models/composer/config';
import { DEFAULT_MEMORY_BUDGET } from '../../common/models/pieceMemory';

/** Either kind of model, opened for generation. */
type ModelRuntime = LstmRuntime | ComposerRuntime;

/** What to generate; mirrors the CLI flags. */
export interface GenerateOptions extends Partial<SamplingOptions> {
  /** The LSTM model folder (config.json, weights, optional model.onnx). */
  modelPath: string;
  /** Output folder; pieces go to `<outputPath>/generated_midi/`. */
  outputPath: string;
  /** Pieces to generate (default 1), as one batch. */
  count?: number;
  /** Length in musical events (notes or chords; time-step tokens not counted). Give this or `seconds`; with neither, 60 seconds. */
  events?: number;
  /** Length in seconds of music: generation stops once the decoded piece is this long. */
  seconds?: number;
  /** Seed of the first piece (default: random, recorded in the sidecar). */
  seed?: number;
  /** 'none' (default), a MIDI file path, or 'corpus:<id>' (an id or id prefix from `cadenza corpus list`). */
  primer?: string;
  /** Tempo of the written MIDI in BPM (default: the primer's, else 120). */
  tempoBpm?: number;
  /** Semitones to shift the result by (-24..24). */
  transpose?: number;
  /** Engine (default 'auto': onnxruntime, from the folder's export or built in memory; TF.js only if onnxruntime fails). */
  runtime?: RuntimeChoice;
  /** Base file name (default 'piece-<seed>'); with several pieces, '-<n>' is added. */
  name?: string;
  /** Windows per model call (default: all pieces in one call). */
  batchSize?: number;
  /** onnxruntime threads (default: `planOnnx`, two for a large model on a machine with a core to spare). */
  threads?: number;
  /** onnxruntime engine (default: `planOnnx`, the faster for this model); both give the same probabilities. */
  engine?: OnnxEngine;
  /**
   * How much the piece reuses its own earlier material (the composer's piece memory), 0 (the
   * model alone) to 1 (as fitted on real continuations); default the model's `memory.sampleScale`.
   */
  memory?: number;
  /**
   * Composer only: the most running mean of the memory's weight a piece may use, 0..1 (the
   * `MemoryBudget`; 1 = no limit); default `DEFAULT_MEMORY_BUDGET`.
   */
  memoryBudget?: number;
  /** Data folder whose corpus store resolves `corpus:<id>` primers (default: the app's). */
  dataDir?: string;
  /** Resolves `corpus:<id>` primers instead of the data folder's store (tests, other stores). */
  corpus?: CorpusLookup;
}

/** One written piece. */
export interface GeneratedPiece {
  /** File name without extension. */
  name: string;
  /** The written .mid. */
  midiPath: string;
  /** The written .json sidecar. */
  sidecarPath: string;
  /** The song as written. */
  song: Song;
  /** Repetition and range statistics. */
  stats: PieceStats;
  /** This piece's seed. */
  seed: number;
  /** The engine that ran the model ('composer': the composer on the kernel layer). */
  runtime: 'onnx' | 'tfjs' | 'composer';
  /** The generated tokens (primer excluded). */
  tokens: string[];
}

/** Default length when neither events nor seconds is given. */
export const DEFAULT_SECONDS = 60;
/** Ticks per quarter note of written files. */
const PPQ = 480;
/** Velocity for tokenizers that carry none. */
const VELOCITY = 80;

/** Checks the options that do not need the model; throws `UsageError` naming the option. */
export function checkGenerateOptions(options: GenerateOptions): void {
  const { events, seconds } = options;
  // Named as the CLI's flags, which these options mirror.
  const flags: Record<keyof typeof GENERATE_LIMITS, string> = {
    count: '--count',
    events: '--events',
    seconds: '--seconds',
    tempoBpm: '--tempo',
    transpose: '--transpose',
    seed: '--seed',
    memory: '--memory',
    memoryBudget: '--memory-budget',
    batchSize: '--batch-size',
    threads: '--threads',
  };
  if (events !== undefined && seconds !== undefined) throw new UsageError('Give --events or --seconds, not both.', { field: '--events' });
  for (const key of Object.keys(GENERATE_LIMITS) as (keyof typeof GENERATE_LIMITS)[])
    if (options[key] !== undefined) checkNumber(flags[key], options[key], GENERATE_LIMITS[key]);
  if (options.runtime !== undefined) checkChoice('--runtime', options.runtime, RUNTIME_CHOICES);
  if (options.engine !== undefined) checkChoice('--engine', options.engine, ONNX_ENGINES);
  if (options.name !== undefined && !(/^[\w.-]{1,100}$/.test(options.name) && !options.name.startsWith('.')))
    throw new UsageError(`--name must be letters, digits, ".", "-" or "_", not "${options.name}".`, { field: '--name' });
  checkSamplingOptions(samplingOf(options));
}

function samplingOf(options: GenerateOptions, defaults: Pick<SamplingOptions, 'temperature' | 'topP'> = DEFAULT_SAMPLING): SamplingOptions {
  return {
    temperature: options.temperature ?? defaults.temperature,
    topK: options.topK ?? DEFAULT_SAMPLING.topK,
    topP: options.topP ?? defaults.topP,
    maxRepeat: options.maxRepeat ?? DEFAULT_SAMPLING.maxRepeat,
  };
}

/** A name not yet used in `dir` by a .mid or .json. */
function freeName(dir: string, base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 2; taken.has(name) || existsSync(path.join(dir, `${name}.mid`)) || existsSync(path.join(dir, `${name}.json`)); k++) name = `${base}-${k}`;
  taken.add(name);
  return name;
}

/** Generates, writes and returns `count` pieces. Nothing is written if it fails or is cancelled before the writing starts. */
export async function generatePieces(options: GenerateOptions, run: RunOptions = {}): Promise<GeneratedPiece[]> {
  checkGenerateOptions(options);
  // A path that names nothing is a usage error, found before the model loads or a note is sampled.
  if (!existsSync(options.modelPath))
    throw new UsageError(`--model_path names ${options.modelPath}, which does not exist.`, { field: '--model_path', path: options.modelPath });
  await checkWritableDir(path.join(options.outputPath, 'generated_midi'));
  const started = Date.now();
  const count = options.count ?? 1;
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const seconds = options.events === undefined ? (options.seconds ?? DEFAULT_SECONDS) : undefined;
  // Token caps, so a model that emits only time steps, or no time, never loops forever: 4 tokens per
  // event and 32 tokens per second are far above the corpus (1.8 and about 16).
  const maxTokens = options.events !== undefined ? options.events * 4 : Math.ceil(seconds! * 32);

  const composer = await isComposerFolder(options.modelPath);
  // Each model family has its own best defaults; options given explicitly always win.
  const sampling = samplingOf(options, composer ? COMPOSER_SAMPLING : DEFAULT_SAMPLING);
  const runtime: ModelRuntime = composer
    ? await openComposerRuntime(options.modelPath)
    : await openLstmRuntime(options.modelPath, options.runtime ?? 'auto', {
        threads: options.threads,
        engine: options.engine,
        rows: Math.min(count, options.batchSize ?? count),
      });
  try {
    const { vocab } = runtime.config;
    const { kind, ...tokenizerOptions } = runtime.config.tokenizer;
    const tokenizer = getTokenizer(kind, tokenizerOptions);
    const corpus =
      options.corpus ??
      (options.primer?.startsWith('corpus:')
        ? async (id: string) => (await CorpusStore.open(options.dataDir ?? appDataDir())).readSong(id, { sustain: false })
        : undefined);
    const primer: ResolvedPrimer = await resolvePrimer(options.primer, vocab, tokenizer, corpus);
    const bpm = options.tempoBpm ?? primer.bpm ?? DEFAULT_TEMPO_BPM;
    const banned = new Set<number>(vocab.unknownId !== undefined ? [vocab.unknownId] : []);
    const eventIds = vocab.tokens.map((t) => tokenizer.isEvent?.(t) ?? true);
    const isEventToken = (t: string): boolean => tokenizer.isEvent?.(t) ?? true;
    const decode = (ids: readonly number[]): Song => tokenizer.decode(ids.map((id) => vocab.tokens[id]!), { bpm, ppq: PPQ, velocity: VELOCITY });

    const seeds = Array.from({ length: count }, (_, i) => (seed + i) >>> 0);
    // Progress in the unit the user asked for (events or seconds of music), not in tokens.
    const progressDone = new Array<number>(count).fill(0);
    const progressTotal = seconds === undefined ? options.events! * count : seconds * count;
    const isComplete = (i: number, gen: readonly number[]): boolean => {
      let complete: boolean;
      if (seconds === undefined) {
        if (eventIds[gen[gen.length - 1]!]) progressDone[i]!++;
        complete = progressDone[i]! >= options.events!;
      } else {
        // Decoding is linear in the piece, cheap next to a model call; every 8 tokens is plenty.
        if (gen.length % 8 !== 0) return false;
        const length = durationSeconds(decode(gen));
        progressDone[i] = Math.min(seconds, length);
        complete = length >= seconds;
      }
      return complete;
    };
    const onProgress = (e: ProgressEvent): void =>
      run.onProgress?.({
        ...e,
        done: Math.round(progressDone.reduce((a, b) => a + b, 0) * 10) / 10,
        total: progressTotal,
        message: seconds === undefined ? 'events' : 'seconds of music',
      });
    let sequences: number[][];
    if (runtime.kind === 'composer') {
      sequences = sampleComposer(
        runtime.engine,
        vocab.tokens,
        seeds.map((s) => ({ primer: primer.ids, seed: s })),
        {
          sampling,
          maxTokens: maxTokens * 2,
          isComplete,
          banned,
          ...(runtime.config.memory ? { memory: runtime.config.memory, memoryScale: memoryScaleOf(runtime.config.memory, options.memory), memoryBudget: options.memoryBudget ?? DEFAULT_MEMORY_BUDGET } : {}),
        },
        { signal: run.signal, onProgress },
      );
    } else {
      const { architecture } = runtime.config;
      const requests = seeds.map((s) => ({
        // The filler draws from its own stream (seed ^ a constant) so sampling starts from the same state with or without a primer.
        context: primerContext(primer.ids, architecture.window, vocab.counts, new Rng((s ^ 0x5bd1e995) >>> 0), banned),
        seed: s,
      }));
      sequences = await sampleSequences(
        runtime.predict,
        requests,
        {
          window: architecture.window,
          vocabSize: architecture.vocabSize,
          maxEvents: maxTokens,
          sampling,
          banned,
          isEvent: (id) => eventIds[id]!,
          batchSize: options.batchSize,
          isComplete,
        },
        { signal: run.signal, onProgress },
      );
    }
    throwIfCancelled(run.signal);

    const dir = path.join(options.outputPath, 'generated_midi');
    const taken = new Set<string>();
    const pieces: GeneratedPiece[] = [];
    const prepared = sequences.map((ids, i) => {
      // Decoded here, before any file is written, so a failure leaves nothing behind.
      const tokens = ids.map((id) => vocab.tokens[id]!);
      const decoded = decode(ids);
      if (options.transpose) for (const n of decoded.notes) n.pitch += options.transpose;
      const { song, report } = makePlayable({ ...decoded, name: decoded.name ?? `Cadenza ${seeds[i]}` });
      checkComposed(options.modelPath, song, seconds, options.events, seeds[i]!, ids.filter((id) => eventIds[id]).length);
      const base = options.name ? (count > 1 ? `${options.name}-${i + 1}` : options.name) : `piece-${seeds[i]}`;
      return { tokens, song, report, name: freeName(dir, base, taken), seed: seeds[i]! };
    });
    const elapsedSeconds = (Date.now() - started) / 1000;
    for (const p of prepared) {
      const midiPath = path.join(dir, `${p.name}.mid`);
      const sidecarPath = path.join(dir, `${p.name}.json`);
      // A remi note is two tokens (pitch, duration): statistics count it as one event.
      const stats = kind === 'remi' ? pieceStats(remiNoteEvents(p.tokens), p.song, (t) => t.includes(' ')) : pieceStats(p.tokens, p.song, isEventToken);
      await writeFileAtomic(midiPath, encodeMidi(p.song));
      await writeJsonAtomic(sidecarPath, sidecar(options, p, stats, runtime, primer, { bpm, sampling, seconds, maxTokens, count, elapsedSeconds }));
      pieces.push({ name: p.name, midiPath, sidecarPath, song: p.song, stats, seed: p.seed, runtime: runtime.kind, tokens: p.tokens });
      run.onProgress?.({ stage: 'write', done: pieces.length, total: prepared.length, message: midiPath });
    }
    return pieces;
  } finally {
    await runtime.dispose();
  }
}

/**
 * Refuses a piece with no notes, or with far less than asked (under half the seconds, or of the events):
 * a model that composes silence is undertrained or broken, and a 66-byte MIDI file says nothing.
 */
export function checkComposed(
  modelPath: string,
  song: Song,
  seconds: number | undefined,
  events: number | undefined,
  seed: number,
  eventsGenerated = song.notes.length,
): void {
  const got = durationSeconds(song);
  // Events are the model's own units (a chord is one); they fall short only when the token cap stopped generation.
  const short = song.notes.length === 0 || (seconds !== undefined && got < seconds / 2) || (events !== undefined && eventsGenerated < events / 2);
  if (!short) return;
  const asked = seconds !== undefined ? `${seconds} s` : `${events} events`;
  throw new ModelError(
    `The model ${modelPath} composed ${song.notes.length} notes (${got.toFixed(1)} s of music) for seed ${seed} where ${asked} were asked; it is undertrained or does not fit this tokenizer: train it longer, or choose another model.`,
    { path: modelPath, field: 'model' },
  );
}

function sidecar(
  options: GenerateOptions,
  p: { name: string; seed: number; report: PlayableReport },
  stats: PieceStats,
  runtime: ModelRuntime,
  primer: ResolvedPrimer,
  run: { bpm: number; sampling: SamplingOptions; seconds?: number; maxTokens: number; count: number; elapsedSeconds: number },
): object {
  return {
    name: p.name,
    generatedAt: new Date().toISOString(),
    model: {
      path: path.resolve(options.modelPath),
      runtime: runtime.kind,
      ...(runtime.kind === 'composer' ? { kernels: runtime.kernels } : {}),
      ...(runtime.kind !== 'composer' && runtime.onnxEngine ? { engine: runtime.onnxEngine, threads: runtime.threads } : {}),
      ...(runtime.kind !== 'composer' && runtime.onnxSource ? { onnx: runtime.onnxSource } : {}),
      ...(runtime.kind !== 'composer' && runtime.fallbackReason ? { fallbackReason: runtime.fallbackReason } : {}),
      createdAt: runtime.config.createdAt,
      corpusHash: runtime.config.corpusHash,
      architecture: runtime.config.architecture,
    },
    seed: p.seed,
    options: {
      ...run.sampling,
      ...(runtime.kind === 'composer' && runtime.config.memory ? { memory: memoryScaleOf(runtime.config.memory, options.memory), memoryBudget: options.memoryBudget ?? DEFAULT_MEMORY_BUDGET } : {}),
      events: options.events ?? null,
      seconds: run.seconds ?? null,
      maxTokens: run.maxTokens,
      tempoBpm: run.bpm,
      transpose: options.transpose ?? 0,
      count: run.count,
      batchSize: options.batchSize ?? run.count,
    },
    primer: { kind: primer.kind, source: primer.source ?? null, events: primer.ids.length, unknownTokens: primer.unknownTokens },
    stats,
    cleanup: p.report,
    elapsedSeconds: run.elapsedSeconds,
  };
}

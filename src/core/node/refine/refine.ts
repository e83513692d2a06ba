/**
 * `refine`: expressive re-performance of generated pieces with the Music Transformer, then
 * re-rendering and mastering. For each input (a WAV whose sidecar names its MIDI, or a MIDI
 * file): refine the performance events (src/core/common/refine/expression.ts), write the refined
 * MIDI, render it, master it (loudness, true peak, fades) and write the WAV and a sidecar that
 * says what changed.
 */
import { DEFAULT_EXPRESSION, DEFAULT_REFINE_SEED, DEFAULT_REFINE_TEMPERATURE, DEFAULT_STRENGTH, REFINE_LIMITS } from '../../common/refine/options';
import { checkNumber } from '../../common/validate';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { master, type MasterReport } from '../../common/audio/master';
import { noiseFloorSnr } from '../../common/audio/snr';
import { measureLevels } from '../../common/audio/levels';
import { encodeWav, type PcmAudio, type WavSampleFormat } from '../../common/audio/wav';
import { CadenzaError, IoError, MidiParseError, ModelError, serializeError, throwIfCancelled, UsageError, type SerializedError } from '../../common/errors';
import type { RunOptions } from '../../common/progress';
import { refineExpression, type ExpressionReport } from '../../common/refine/expression';
import type { Song } from '../../common/song/song';
import { tempoMapOf } from '../../common/song/tempo';
import { phraseLevels, pedalFor, shapeTempo, voiceChords } from '../../common/refine/performance';
import { binVelocity, PerformanceTokenizer, performanceTokens, VELOCITY_BINS, velocityBin } from '../../common/tokenize/performance';
import type { Decibels, Lufs, Seconds } from '../../common/units';
import { readWavFile } from '../audio/wavFile';
import { ioError, readJson, writeFilesAtomic } from '../fs/atomic';
import { readMidiFile } from '../midi/read';
import { encodeMidi } from '../midi/write';
import { loadTransformer, type LoadedTransformer } from '../models/transformer/load';
import { createRenderer, type EngineChoice, type Renderer } from '../render/render';
import { walkFiles } from '../sources/walk';

/** How to refine. */
export interface RefineOptions extends RunOptions {
  /** WAV files or folders of them, each with the sidecar `cadenza synthesize` wrote (naming its MIDI). */
  audioPaths?: string[];
  /** MIDI files or folders of them (used as they are, no sidecar needed). */
  midiPaths?: string[];
  /** Folder for the refined MIDI, WAV and sidecar of each piece. */
  outputPath: string;
  /** Transformer model folder (default: the bundled one). */
  modelPath?: string;
  /** 0..1: how far smoothing may change pitches (0 = expression only). */
  strength?: number;
  /** 0..1: how much phrase dynamics, tempo curve, voicing, pedal and micro-timing (default 0.5; 0 = the model's velocities at a level dynamic only). */
  expression?: number;
  /** Sampling temperature of the model's choices. */
  temperature?: number;
  /** Seed for the model's choices. */
  seed?: number;
  /** Mastering loudness target in LUFS (default -16). */
  targetLufs?: Lufs;
  /** Mastering true-peak ceiling in dBTP (default -1). */
  ceilingDbtp?: Decibels;
  /** Synth engine, SoundFont, rate and WAV format for the re-render. */
  engine?: EngineChoice;
  soundfontPath?: string;
  sampleRateHz?: number;
  format?: WavSampleFormat;
  /** Use this renderer (not disposed) instead of creating one. */
  renderer?: Renderer;
}

/** Distribution summary of note velocities. */
export interface VelocityStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Share of notes in each of the 32 performance velocity bins. */
  histogram: number[];
}

/** The sidecar written beside each refined WAV. */
export interface RefineSidecar {
  sourceMidi: string;
  sourceAudio?: string;
  refinedMidi: string;
  refinedAudio: string;
  model: string;
  strength: number;
  /** The `--expression` used, 0..1. */
  expressionAmount: number;
  temperature: number;
  seed: number;
  expression: ExpressionReport;
  velocity: { before: VelocityStats; after: VelocityStats; corpusOverlapBefore: number; corpusOverlapAfter: number };
  mastering: MasterReport;
  audio: {
    durationSeconds: Seconds;
    clippedSamples: number;
    snrBeforeDb: Decibels | null;
    snrAfterDb: Decibels;
    engine: string;
    soundfontPath: string;
  };
  refineSeconds: Seconds;
  refinedAt: string;
}

/** What a batch did. */
export interface RefineReport {
  pieces: RefineSidecar[];
  failures: { input: string; error: SerializedError }[];
}

/** The first `frames` frames of `audio` (all of it when shorter). */
function sameSpan(audio: PcmAudio, frames: number): PcmAudio {
  return { sampleRateHz: audio.sampleRateHz, channels: audio.channels.map((c) => c.subarray(0, Math.min(c.length, frames))) };
}

/** Share of notes per velocity bin. */
function velocityStats(song: Song): VelocityStats {
  const v = song.notes.map((n) => n.velocity);
  const histogram = new Array<number>(VELOCITY_BINS).fill(0);
  for (const x of v) histogram[velocityBin(x) - 1]! += 1 / Math.max(1, v.length);
  const mean = v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, v.length));
  return { mean, std, min: v.length ? Math.min(...v) : 0, max: v.length ? Math.max(...v) : 0, histogram };
}

/** The overlap (sum of minima, 0..1) of two histograms, each normalised to sum 1. */
export function histogramOverlap(a: readonly number[], b: readonly number[]): number {
  const sa = a.reduce((s, x) => s + x, 0) || 1;
  const sb = b.reduce((s, x) => s + x, 0) || 1;
  return a.reduce((s, x, i) => s + Math.min(x / sa, (b[i] ?? 0) / sb), 0);
}

/** The corpus's velocity histogram, from the model's vocabulary counts of VELOCITY tokens. */
function corpusVelocityHistogram(model: LoadedTransformer): number[] {
  const { tokens, counts } = model.config.vocab;
  const out = new Array<number>(VELOCITY_BINS).fill(0);
  tokens.forEach((t, i) => {
    const m = /^VELOCITY_(\d+)$/.exec(t);
    if (m) out[Number(m[1]) - 1] = counts[i] ?? 0;
  });
  return out;
}

/**
 * Refines `song` with the transformer: the returned song keeps the source's tempo map, time and
 * key signatures; notes are re-timed through it from the refined performance's seconds.
 */
export function refineSong(
  song: Song,
  model: LoadedTransformer,
  options: { strength?: number; temperature?: number; seed?: number; expression?: number; baseVelocity?: number },
): { song: Song; report: ExpressionReport } {
  const expression = options.expression ?? DEFAULT_EXPRESSION;
  const tokenizer = new PerformanceTokenizer();
  const vocab = performanceTokens();
  const index = new Map(vocab.map((t, i) => [t, i]));
  const ids = tokenizer.encode(song).map((t) => index.get(t)!);
  const { ids: refined, report } = refineExpression(ids, model.decoder(), {
    strength: options.strength,
    temperature: options.temperature,
    seed: options.seed,
    levelAt: levelLookup(song, phraseLevels(song, options.baseVelocity ?? DEFAULT_BASE_VELOCITY, expression)),
    // The model's micro-timing scales with expression too: ±2 steps a shift, 3 in all, at 0.5.
    maxShiftChangeSteps: Math.round(4 * expression),
    maxDriftSteps: Math.round(6 * expression),
  });
  const decoded = tokenizer.decode(refined.map((i) => vocab[i]!));
  // Back onto the source's own tempo map, so bars and beats in the refined MIDI stay where they were.
  const from = tempoMapOf(decoded);
  const to = tempoMapOf(song);
  const retimed = decoded.notes.map((n) => {
    const startTicks = Math.round(to.toTicks(from.toSeconds(n.startTicks)));
    const endTicks = Math.max(startTicks + 1, Math.round(to.toTicks(from.toSeconds(n.endTicks))));
    return { ...n, startTicks, endTicks };
  });
  const notes = voiceChords(retimed, song.ppq, expression);
  const shaped: Song = {
    ...song,
    notes,
    // The refined lengths already include the source's pedal, which the tokenizer applied; the
    // pedal written below is the refinement's own.
    pedals: [],
    tracks: [song.tracks[0] ?? { name: 'Piano', program: 0, channel: 0, isDrum: false }],
  };
  shaped.tempos = shapeTempo(shaped, expression);
  shaped.pedals = pedalFor(shaped, expression);
  return { song: shaped, report };
}

/** Dynamic level when the model's vocabulary has no velocity counts (the held-out corpus mean is 49.6). */
const DEFAULT_BASE_VELOCITY = 50;

/** The level at each moment (seconds, through the song's tempo map): the level of the latest note at or before it. */
function levelLookup(song: Song, levels: readonly number[]): (seconds: number) => number {
  const map = tempoMapOf(song);
  const order = song.notes.map((_, i) => i).sort((a, b) => song.notes[a]!.startTicks - song.notes[b]!.startTicks);
  const times = order.map((i) => map.toSeconds(song.notes[i]!.startTicks));
  const values = order.map((i) => levels[i]!);
  return (seconds) => {
    let lo = 0;
    let hi = times.length - 1;
    // The written onset may round to the 10 ms grid a hair before the note's time.
    const t = seconds + 0.006;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return values[lo] ?? DEFAULT_BASE_VELOCITY;
  };
}

/** Mean MIDI velocity of a velocity-bin histogram (counts or shares). */
export function histogramMeanVelocity(histogram: readonly number[]): number {
  const total = histogram.reduce((s, x) => s + x, 0);
  return total > 0 ? histogram.reduce((s, x, i) => s + x * binVelocity(i + 1), 0) / total : DEFAULT_BASE_VELOCITY;
}

async function listFiles(inputs: readonly string[], pattern: RegExp, flag: string): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    const stat = await fs.stat(input).catch(() => undefined);
    if (!stat) throw new UsageError(`${flag} names ${input}, which does not exist.`, { field: flag, path: input });
    if (stat.isFile()) out.push(input);
    else {
      const walked = await walkFiles([input], { accept: (name) => pattern.test(name) });
      const unreadable = walked.unreadable[0];
      if (unreadable) throw new IoError(unreadable.reason, { path: unreadable.path });
      out.push(...walked.files);
    }
  }
  if (out.length === 0) throw new UsageError(`${flag} holds no files to refine (${inputs.join(', ')}).`, { field: flag });
  return out;
}

/** Refines every input; a bad input is reported in `failures` and the rest go on. */
export async function refinePieces(options: RefineOptions): Promise<RefineReport> {
  // Named as the CLI's flags, which these options mirror.
  const strength = checkNumber('--strength', options.strength ?? DEFAULT_STRENGTH, REFINE_LIMITS.strength);
  const expression = checkNumber('--expression', options.expression ?? DEFAULT_EXPRESSION, REFINE_LIMITS.expression);
  const temperature = checkNumber('--temperature', options.temperature ?? DEFAULT_REFINE_TEMPERATURE, REFINE_LIMITS.temperature);
  const seed = checkNumber('--seed', options.seed ?? DEFAULT_REFINE_SEED, REFINE_LIMITS.seed);
  const inputs: { midi?: string; audio?: string }[] = [];
  if (options.audioPaths?.length)
    for (const audio of await listFiles(options.audioPaths, /\.wav$/i, '--audio_path')) inputs.push({ audio });
  if (options.midiPaths?.length)
    for (const midi of await listFiles(options.midiPaths, /\.midi?$/i, '--midi_path')) inputs.push({ midi });
  if (inputs.length === 0) throw new UsageError('Give --audio_path or --midi_path: there is nothing to refine.', { field: '--audio_path' });

  const model = await loadTransformer(options.modelPath);
  const vocab = model.config.vocab.tokens;
  const expected = performanceTokens();
  if (vocab.length !== expected.length || vocab.some((t, i) => t !== expected[i]))
    throw new ModelError(`${model.dir} was not trained on the 388 performance events this refinement writes.`, { path: model.dir });
  const corpusVelocities = corpusVelocityHistogram(model);
  const renderer =
    options.renderer ??
    (await createRenderer({ engine: options.engine, soundfontPath: options.soundfontPath, sampleRateHz: options.sampleRateHz }));
  const report: RefineReport = { pieces: [], failures: [] };
  try {
    for (const [i, input] of inputs.entries()) {
      throwIfCancelled(options.signal);
      const label = input.audio ?? input.midi!;
      options.onProgress?.({ stage: 'refine', done: i, total: inputs.length, message: path.basename(label) });
      try {
        report.pieces.push(await refineOne(input, { ...options, strength, expression, temperature, seed }, model, renderer, corpusVelocities));
      } catch (error) {
        if (!(error instanceof CadenzaError) || error.code === 'CANCELLED') throw error;
        report.failures.push({ input: label, error: serializeError(error) });
      }
    }
    options.onProgress?.({ stage: 'refine', done: inputs.length, total: inputs.length });
  } finally {
    if (!options.renderer) renderer.dispose();
  }
  return report;
}

async function refineOne(
  input: { midi?: string; audio?: string },
  options: RefineOptions & { strength: number; expression: number; temperature: number; seed: number },
  model: LoadedTransformer,
  renderer: Renderer,
  corpusVelocities: number[],
): Promise<RefineSidecar> {
  const started = Date.now();
  let midiPath = input.midi;
  let sourceAudio: PcmAudio | undefined;
  let sourceBits = 16;
  if (input.audio) {
    const sidecarPath = `${input.audio}.json`;
    const sidecar = await readJson<{ midiPath?: string }>(sidecarPath).catch(() => {
      throw new UsageError(
        `${input.audio} has no sidecar (${path.basename(sidecarPath)}) naming its MIDI; render it with \`cadenza synthesize\` or pass --midi_path.`,
        { path: input.audio },
      );
    });
    if (!sidecar.midiPath) throw new UsageError(`${sidecarPath} does not name the MIDI file it was rendered from.`, { path: sidecarPath });
    midiPath = sidecar.midiPath;
    const wav = await readWavFile(input.audio);
    sourceAudio = wav;
    sourceBits = wav.bitsPerSample;
  }
  const { song } = await readMidiFile(midiPath!);
  if (song.notes.length === 0) throw new MidiParseError(`${midiPath} has no notes to refine.`, { path: midiPath });
  const { song: refined, report: expression } = refineSong(song, model, { ...options, baseVelocity: histogramMeanVelocity(corpusVelocities) });

  const base = path.basename(input.audio ?? midiPath!).replace(/\.(wav|midi?)$/i, '');
  const refinedMidi = path.join(options.outputPath, `${base}.mid`);
  const refinedAudio = path.join(options.outputPath, `${base}.wav`);
  const sidecarPath = `${refinedAudio}.json`;
  const rendered = await renderer.renderSong(refined, {}, { signal: options.signal });
  const mastered = master(rendered, { targetLufs: options.targetLufs, ceilingDbtp: options.ceilingDbtp });
  const format = options.format ?? 'pcm16';
  const bits = format === 'pcm16' ? 16 : format === 'pcm24' ? 24 : 32;
  const snr = (audio: PcmAudio, b: number): number | null => {
    try {
      return noiseFloorSnr(audio.channels, audio.sampleRateHz, { bitsPerSample: b }).snrDb;
    } catch {
      return null;
    }
  };
  const before = velocityStats(song);
  const after = velocityStats(refined);
  const sidecar: RefineSidecar = {
    sourceMidi: path.resolve(midiPath!),
    ...(input.audio ? { sourceAudio: path.resolve(input.audio) } : {}),
    refinedMidi: path.resolve(refinedMidi),
    refinedAudio: path.resolve(refinedAudio),
    model: path.resolve(model.dir),
    strength: options.strength,
    expressionAmount: options.expression,
    temperature: options.temperature,
    seed: options.seed,
    expression,
    velocity: {
      before,
      after,
      corpusOverlapBefore: histogramOverlap(before.histogram, corpusVelocities),
      corpusOverlapAfter: histogramOverlap(after.histogram, corpusVelocities),
    },
    mastering: mastered.report,
    audio: {
      durationSeconds: mastered.audio.channels[0]!.length / mastered.audio.sampleRateHz,
      clippedSamples: measureLevels(mastered.audio.channels).clippedSamples,
      // Over the same span as the output: a raw render's long near-silent tail would otherwise set
      // the "before" noise floor, and the comparison would be of silence, not of the music.
      snrBeforeDb: snr(sameSpan(sourceAudio ?? rendered, mastered.audio.channels[0]!.length), sourceAudio ? sourceBits : 32),
      snrAfterDb: snr(mastered.audio, bits) ?? NaN,
      engine: renderer.engine,
      soundfontPath: renderer.soundfontPath,
    },
    refineSeconds: (Date.now() - started) / 1000,
    refinedAt: new Date().toISOString(),
  };
  // Created only now, so a run that fails before its first piece leaves no empty folder behind.
  await fs.mkdir(options.outputPath, { recursive: true }).catch((error: unknown) => {
    throw ioError(error, options.outputPath, 'create');
  });
  // All three or none: a full disk part-way must not leave a refined MIDI without its audio, nor a
  // sidecar describing files that are not there.
  await writeFilesAtomic([
    { path: refinedMidi, data: encodeMidi(refined) },
    { path: refinedAudio, data: encodeWav(mastered.audio, format) },
    { path: sidecarPath, data: JSON.stringify(sidecar, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n' },
  ]);
  return sidecar;
}

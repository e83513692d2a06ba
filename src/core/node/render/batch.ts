/**
 * Batch synthesis: MIDI files or folders to WAV files (each with a sidecar JSON) in an output
 * folder, through one renderer whose SoundFont stays loaded for the whole batch. A file that
 * fails is reported and skipped; an engine or SoundFont failure stops the batch.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CancelledError,
  deserializeError,
  IoError,
  MidiParseError,
  serializeError,
  UsageError,
  type SerializedError,
} from '../../common/errors';
import type { RunOptions } from '../../common/progress';
import type { Song } from '../../common/song/song';
import { tempoMapOf } from '../../common/song/tempo';
import type { Seconds } from '../../common/units';
import { ioError } from '../fs/atomic';
import { parseMidi } from '../../common/midi/read';
import type { EngineName } from './backend';
import { renderInWorkers } from './pool';
import { checkSoundFont } from './soundfont';
import { checkWritableDir } from '../fs/writableDir';
import { isMidiFileName, walkFiles } from '../sources/walk';
import {
  createRenderer,
  type RenderFileOptions,
  type Renderer,
  type RendererOptions,
  type RenderResult,
} from './render';

/** Options for a batch: how to set up the renderer and how to write each file. */
export interface SynthesizeOptions extends RendererOptions, RenderFileOptions {
  /** Render with this renderer instead of creating one (it is not disposed); implies `jobs: 1`. */
  renderer?: Renderer;
  /**
   * Files rendered at once, each renderer with its own SoundFont in memory: this thread and
   * jobs - 1 worker threads (default: one per idle core, at most 4 and at most one per file).
   * 1 renders in this thread alone.
   */
  jobs?: number;
}

/** A file the batch could not render, and why. */
export interface SynthesizeFailure {
  /** The MIDI file. */
  midiPath: string;
  /** The error, as one sentence with its code. */
  error: SerializedError;
}

/** What a batch did. */
export interface SynthesizeReport {
  /** The engine that rendered. */
  engine: EngineName;
  /** FluidSynth's version in that engine. */
  engineVersion: string;
  /** Why 'auto' chose wasm, when it did. */
  fallbackReason?: string;
  /** The SoundFont used. */
  soundfontPath: string;
  /** One entry per WAV written, in input order. */
  results: RenderResult[];
  /** Files that could not be rendered. */
  failures: SynthesizeFailure[];
  /** Seconds of audio written in all. */
  audioSeconds: Seconds;
  /** Wall time of the whole batch, SoundFont loading included. */
  wallSeconds: Seconds;
}

/** A MIDI file to render and where its WAV goes. */
interface Job {
  midiPath: string;
  wavPath: string;
}

/**
 * Finds the MIDI files to render: each input is a file (taken as it is, whatever its name) or a
 * folder searched recursively for .mid/.midi. Each WAV keeps the file's path relative to its
 * folder, under `outDir`. Throws `UsageError` for an input that does not exist or when nothing is
 * found, `IoError` for one that cannot be read.
 */
export async function planSynthesis(inputs: readonly string[], outDir: string): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const input of inputs) {
    let stat;
    try {
      stat = await fs.stat(input);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A path that names nothing is the caller's mistake (usage); one that cannot be read is a failure.
      if (code === 'ENOENT' || code === 'ENOTDIR')
        throw new UsageError(`--midi_path names ${input}, which does not exist.`, {
          field: '--midi_path',
          path: input,
        });
      throw new IoError(`The MIDI input ${input} cannot be read (${code}).`, { path: input, cause: error });
    }
    if (stat.isDirectory()) {
      const walked = await walkFiles([input], { accept: isMidiFileName });
      const unreadable = walked.unreadable[0];
      if (unreadable) throw new IoError(unreadable.reason, { path: unreadable.path });
      for (const file of walked.files) {
        const relative = path.relative(input, file).replace(/\.midi?$/i, '.wav');
        jobs.push({ midiPath: file, wavPath: path.join(outDir, relative) });
      }
    } else {
      jobs.push({
        midiPath: input,
        wavPath: path.join(outDir, path.basename(input).replace(/\.[^.]*$/, '') + '.wav'),
      });
    }
  }
  if (jobs.length === 0)
    throw new UsageError(`No MIDI files (.mid, .midi) were found in ${inputs.join(', ')}.`, {
      field: '--midi_path',
    });
  const seen = new Map<string, string>();
  for (const job of jobs) {
    const other = seen.get(job.wavPath);
    if (other !== undefined)
      throw new UsageError(
        `${other} and ${job.midiPath} would both be written to ${job.wavPath}; render them separately.`,
        { field: '--midi_path' },
      );
    seen.set(job.wavPath, job.midiPath);
  }
  return jobs;
}

/**
 * Cores with nothing else to do: workers only help when they get a core of their own (each also
 * loads its own SoundFont), so on a busy machine the batch stays in one thread. Windows reports
 * no load average, so there it is simply the core count.
 */
function idleCores(): number {
  return Math.max(1, Math.floor(os.availableParallelism() - os.loadavg()[0]! + 0.5));
}

/**
 * About how long `song` takes to synthesize, in voice-seconds: each note's length plus a release.
 * Only the order matters (the batch renders the costliest first); denser pieces rank higher.
 */
function renderCost(song: Song): number {
  const map = tempoMapOf(song);
  let total = 0;
  for (const n of song.notes) total += Math.min(map.toSeconds(n.endTicks) - map.toSeconds(n.startTicks), 10) + 0.5;
  return total;
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw ioError(error, file, 'read');
  }
}

/**
 * Renders MIDI files and folders to WAVs in `outDir`. Every file is read first; when none is
 * readable it throws `MidiParseError` without loading the SoundFont. Reports progress per file
 * (done/total files, with the seconds of audio so far). Throws `CancelledError` when cancelled (files already written
 * stay; none is left half-written), and engine or SoundFont errors; per-file errors are collected.
 */
export async function synthesizeFiles(
  inputs: readonly string[],
  outDir: string,
  options: SynthesizeOptions = {},
  run: RunOptions = {},
): Promise<SynthesizeReport> {
  const started = performance.now();
  const planned = await planSynthesis(inputs, outDir);
  // Checked, not made: folders appear only when a WAV is written, so bad input leaves none behind.
  await checkWritableDir(outDir);
  const createdFrom = await firstMissingDir(outDir);
  try {
    return await synthesizePlanned(planned, options, run, started);
  } finally {
    if (createdFrom !== undefined) await removeEmptyFolders(createdFrom);
  }
}

/** The outermost folder of `dir` (itself or an ancestor) that does not exist yet; undefined when `dir` exists. */
async function firstMissingDir(dir: string): Promise<string | undefined> {
  let missing: string | undefined;
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      await fs.stat(at);
      return missing;
    } catch {
      missing = at;
    }
    if (path.dirname(at) === at) return missing;
  }
}

/** Removes `dir` and the folders under it when they hold no file at all; returns whether it did. */
async function removeEmptyFolders(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const entry of entries)
    if (!entry.isDirectory() || !(await removeEmptyFolders(path.join(dir, entry.name)))) empty = false;
  if (!empty) return false;
  try {
    await fs.rmdir(dir);
    return true;
  } catch {
    return false;
  }
}

async function synthesizePlanned(
  planned: Job[],
  options: SynthesizeOptions,
  run: RunOptions,
  started: number,
): Promise<SynthesizeReport> {
  const results: RenderResult[] = [];
  const failures: SynthesizeFailure[] = [];
  // Read every file before loading a SoundFont (seconds for a big one), so bad input fails fast.
  const jobs: Job[] = [];
  const cost = new Map<Job, number>();
  for (const job of planned) {
    try {
      const { song } = parseMidi(await readInput(job.midiPath), {
        path: job.midiPath,
        sustain: false,
        dropDrums: false,
      });
      if (song.notes.length === 0)
        throw new MidiParseError(`${job.midiPath} has no notes to render.`, { path: job.midiPath });
      jobs.push(job);
      cost.set(job, renderCost(song));
    } catch (error) {
      if (error instanceof MidiParseError || error instanceof IoError)
        failures.push({ midiPath: job.midiPath, error: serializeError(error) });
      else throw error;
    }
  }
  if (jobs.length === 0) {
    // Nothing to render: report the failures without starting an engine.
    const first = failures[0]!.error;
    throw new MidiParseError(
      failures.length === 1
        ? first.message
        : `None of the ${failures.length} MIDI files could be read; the first: ${first.message}`,
      { ...(failures.length === 1 && first.path ? { path: first.path } : {}), detail: { failures } },
    );
  }
  const workers = options.renderer
    ? 1
    : Math.max(1, Math.min(options.jobs ?? Math.min(idleCores(), 4), jobs.length));
  let audioSeconds = 0;
  let done = 0;
  const progress = (message?: string): void =>
    run.onProgress?.({
      stage: 'synthesize',
      done,
      total: jobs.length,
      ...(message !== undefined ? { message } : {}),
      metrics: { audioSeconds },
    });
  const record = (job: Job, outcome: { result: RenderResult } | { error: unknown }): void => {
    done++;
    if ('result' in outcome) {
      results.push(outcome.result);
      audioSeconds += outcome.result.durationSeconds;
      return;
    }
    const error = outcome.error;
    const code = error instanceof Error ? serializeError(error).code : (error as SerializedError).code;
    // A bad MIDI file or an unreadable/unwritable path spoils only that file; anything else stops the batch.
    if (code !== 'MIDI_PARSE' && code !== 'IO')
      throw error instanceof Error ? error : deserializeError(error as SerializedError);
    failures.push({
      midiPath: job.midiPath,
      error: error instanceof Error ? serializeError(error) : (error as SerializedError),
    });
  };

  let engine:
    { engine: EngineName; engineVersion: string; fallbackReason?: string; soundfontPath: string } | undefined;
  if (workers > 1) {
    progress();
    const { renderer: _unused, jobs: _jobs, ...rendererOptions } = options;
    // Longest first: the batch ends when its last file does, so no long file is left to the end
    // while the other renderers sit idle. Results keep the input order.
    const queue = [...jobs].sort((a, b) => cost.get(b)! - cost.get(a)!);
    // This thread renders too, beside workers - 1 threads: one thread and one SoundFont fewer to start.
    const pool = await renderInWorkers(
      queue,
      workers - 1,
      { rendererOptions, fileOptions: rendererOptions },
      (outcome) => {
        record(
          queue[outcome.index]!,
          'result' in outcome ? { result: outcome.result } : { error: outcome.error },
        );
        progress(path.basename(queue[outcome.index]!.midiPath));
      },
      run.signal,
      { create: () => createRenderer(rendererOptions), fileOptions: rendererOptions },
    );
    if (pool) engine = { ...pool, soundfontPath: await checkSoundFont(options.soundfontPath) };
  }
  if (!engine) {
    const renderer = options.renderer ?? (await createRenderer(options));
    engine = {
      engine: renderer.engine,
      engineVersion: renderer.engineVersion,
      ...(renderer.fallbackReason !== undefined ? { fallbackReason: renderer.fallbackReason } : {}),
      soundfontPath: renderer.soundfontPath,
    };
    try {
      for (const job of jobs) {
        if (run.signal?.aborted) throw new CancelledError();
        progress(path.basename(job.midiPath));
        try {
          record(job, {
            result: await renderer.renderFile(job.midiPath, job.wavPath, options, {
              ...(run.signal ? { signal: run.signal } : {}),
              // A lone file reports its seconds rendered; in a batch, files are the unit of progress.
              ...(jobs.length === 1 && run.onProgress ? { onProgress: run.onProgress } : {}),
            }),
          });
        } catch (error) {
          record(job, { error });
        }
      }
      progress();
    } finally {
      if (!options.renderer) renderer.dispose();
    }
  }
  const order = (midiPath: string): number => planned.findIndex((j) => j.midiPath === midiPath);
  results.sort((a, b) => order(a.midiPath) - order(b.midiPath));
  failures.sort((a, b) => order(a.midiPath) - order(b.midiPath));
  return {
    ...engine,
    results,
    failures,
    audioSeconds,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

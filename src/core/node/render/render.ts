/**
 * The render stage's API: MIDI (bytes, a Song or a file) to stereo audio or a WAV file, with
 * FluidSynth native (koffi) or wasm (js-synthesizer's build). One renderer keeps one SoundFont
 * loaded across any number of renders. The app backend, the CLI and refinement all call this.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LevelMeter } from '../../common/audio/levels';
import type { WavSampleFormat } from '../../common/audio/wav';
import { CancelledError, MidiParseError } from '../../common/errors';
import type { RunOptions } from '../../common/progress';
import { checkEngine, checkSampleRateHz, DEFAULT_SAMPLE_RATE_HZ, type EngineChoice } from '../../common/render/settings';
import type { Song } from '../../common/song/song';
import { durationSeconds } from '../../common/song/tempo';
import { checkNumber, type NumberRange } from '../../common/validate';
import type { Decibels, Hertz, Seconds } from '../../common/units';
import { WavFileWriter } from '../audio/wavFile';
import { ioError, writeJsonAtomic } from '../fs/atomic';
import { ensureWritableDir } from '../fs/writableDir';
import { parseMidi } from '../../common/midi/read';
import { encodeMidi } from '../midi/write';
import type { EngineName, FluidBackend } from './backend';
import { createNativeBackend } from './nativeBackend';
import { musicEndSeconds } from './musicEnd';
import { checkSoundFont } from './soundfont';
import { FluidSynth, type RenderedAudio, type RenderedStream, type RenderMidiOptions } from './fluidLoop';
import { createWasmBackend } from './wasmBackend';

export { SAMPLE_RATES_HZ, type EngineChoice } from '../../common/render/settings';

/** Default FluidSynth gain: 0.5 (FluidSynth's own 0.2 leaves solo piano around -25 dBFS peak). */
export const DEFAULT_GAIN = 0.5;
/** The FluidSynth master gains allowed. */
export const GAIN_RANGE: NumberRange = { min: 0, max: 10 };

/** How to set up a renderer. */
export interface RendererOptions {
  /** Engine to use (default 'auto'). */
  engine?: EngineChoice;
  /** SF2/SF3 file (default: the bundled MuseScore_General_Lite). */
  soundfontPath?: string;
  /** Output sample rate: 44100 (default) or 48000. */
  sampleRateHz?: Hertz;
  /** FluidSynth master gain, 0 to 10 (default 0.5). */
  gain?: number;
  /** Where libfluidsynth is, when it is not in the usual places (native engine only). */
  libraryPath?: string;
}

/** Options for rendering one file to WAV. */
export interface RenderFileOptions extends Omit<RenderMidiOptions, 'name' | 'expectedSeconds'> {
  /** WAV sample format (default 'pcm16'). */
  format?: WavSampleFormat;
  /** Write `<wav>.json` beside the WAV with what was rendered and how (default true). */
  sidecar?: boolean;
}

/** What one file's render produced; also the content of its sidecar JSON. */
export interface RenderResult {
  /** The MIDI file rendered. */
  midiPath: string;
  /** The WAV written. */
  wavPath: string;
  /** The sidecar JSON written, if any. */
  sidecarPath?: string;
  /** The SoundFont used. */
  soundfontPath: string;
  /** The engine that rendered. */
  engine: EngineName;
  /** FluidSynth's version in that engine. */
  engineVersion: string;
  /** Sample rate of the WAV. */
  sampleRateHz: Hertz;
  /** Sample format of the WAV. */
  format: WavSampleFormat;
  /** FluidSynth master gain used. */
  gain: number;
  /** Length of the WAV. */
  durationSeconds: Seconds;
  /** Part of it rendered after the last MIDI event (release tail). */
  tailSeconds: Seconds;
  /** Largest absolute sample (1 = full scale), before conversion to the file's format. */
  peak: number;
  /** The peak in dBFS. */
  peakDbfs: Decibels;
  /** RMS over both channels (1 = full scale). */
  rms: number;
  /** The RMS in dBFS. */
  rmsDbfs: Decibels;
  /** Samples at or beyond full scale (clipped in 16/24-bit files). */
  clippedSamples: number;
  /** Wall time spent synthesizing (not reading or writing). */
  renderSeconds: Seconds;
  /** Seconds of audio per second of render time. */
  realtimeFactor: number;
  /** When it was rendered (ISO 8601). */
  renderedAt: string;
}

/** A MIDI renderer with its SoundFont loaded; reuse it for many renders and `dispose()` it at the end. */
export interface Renderer {
  /** The engine that renders. */
  readonly engine: EngineName;
  /** FluidSynth's version in that engine. */
  readonly engineVersion: string;
  /** Why 'auto' chose wasm, when it did (e.g. the library was not found). */
  readonly fallbackReason?: string;
  /** The SoundFont loaded (absolute path). */
  readonly soundfontPath: string;
  /** Output sample rate. */
  readonly sampleRateHz: Hertz;
  /** FluidSynth master gain. */
  readonly gain: number;
  /** Renders a Standard MIDI File held in memory to stereo float audio. */
  renderMidiBytes(bytes: Uint8Array, options?: RenderMidiOptions, run?: RunOptions): Promise<RenderedAudio>;
  /** Renders a Song (written to MIDI first) to stereo float audio. */
  renderSong(song: Song, options?: RenderMidiOptions, run?: RunOptions): Promise<RenderedAudio>;
  /** Renders a MIDI file to a WAV file (and its sidecar), both written atomically. */
  renderFile(
    midiPath: string,
    wavPath: string,
    options?: RenderFileOptions,
    run?: RunOptions,
  ): Promise<RenderResult>;
  /** Frees the synthesizer and SoundFont. */
  dispose(): void;
}

/**
 * Creates a renderer: checks the SoundFont, picks the engine, loads the SoundFont into it.
 * Throws `UsageError` for a bad rate or gain, `SoundFontError` for a missing or damaged
 * SoundFont, `RenderError` when the asked-for engine cannot start.
 */
export async function createRenderer(options: RendererOptions = {}): Promise<Renderer> {
  const sampleRateHz = checkSampleRateHz('sampleRateHz', options.sampleRateHz ?? DEFAULT_SAMPLE_RATE_HZ);
  const gain = checkNumber('gain', options.gain ?? DEFAULT_GAIN, GAIN_RANGE);
  const soundfontPath = await checkSoundFont(options.soundfontPath);
  const choice = checkEngine('engine', options.engine ?? 'auto');
  let backend: FluidBackend;
  let fallbackReason: string | undefined;
  if (choice === 'native') backend = createNativeBackend(options.libraryPath);
  else if (choice === 'wasm') backend = await createWasmBackend();
  else {
    try {
      backend = createNativeBackend(options.libraryPath);
    } catch (error) {
      fallbackReason = (error as Error).message;
      backend = await createWasmBackend();
    }
  }
  const synth = FluidSynth.create(backend, { soundfontPath, sampleRateHz, gain });
  return new MidiRenderer(synth, soundfontPath, fallbackReason);
}

class MidiRenderer implements Renderer {
  readonly engine: EngineName;
  readonly engineVersion: string;
  readonly fallbackReason?: string;
  readonly soundfontPath: string;
  readonly sampleRateHz: Hertz;
  readonly gain: number;
  private readonly synth: FluidSynth;

  constructor(synth: FluidSynth, soundfontPath: string, fallbackReason: string | undefined) {
    this.synth = synth;
    this.engine = synth.engine;
    this.engineVersion = synth.version;
    if (fallbackReason !== undefined) this.fallbackReason = fallbackReason;
    this.soundfontPath = soundfontPath;
    this.sampleRateHz = synth.options.sampleRateHz;
    this.gain = synth.options.gain;
  }

  renderMidiBytes(
    bytes: Uint8Array,
    options: RenderMidiOptions = {},
    run?: RunOptions,
  ): Promise<RenderedAudio> {
    return this.synth.renderMidi(bytes, withMusicEnd(songOfBytes(bytes), options), run);
  }

  async renderSong(song: Song, options: RenderMidiOptions = {}, run?: RunOptions): Promise<RenderedAudio> {
    if (song.notes.length === 0)
      throw new MidiParseError(`${options.name ?? 'The song'} has no notes to render.`, { field: 'song' });
    return this.synth.renderMidi(
      encodeMidi(song),
      withMusicEnd(song, { expectedSeconds: durationSeconds(song), ...options }),
      run,
    );
  }

  async renderFile(
    midiPath: string,
    wavPath: string,
    options: RenderFileOptions = {},
    run: RunOptions = {},
  ): Promise<RenderResult> {
    const format = options.format ?? 'pcm16';
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(midiPath);
    } catch (error) {
      throw ioError(error, midiPath, 'read');
    }
    // Parse first: FluidSynth would play garbage or nothing without saying why.
    const { song } = parseMidi(bytes, { path: midiPath, sustain: false, dropDrums: false });
    if (song.notes.length === 0)
      throw new MidiParseError(`${midiPath} has no notes to render.`, { path: midiPath });
    // Fail before rendering, not after minutes of it, when the WAV could not be written anyway.
    await ensureWritableDir(path.dirname(wavPath));
    // The WAV is written as it renders (into a temporary file, renamed in at the end), so a
    // long piece is never held whole in memory, as float samples or as file bytes.
    const wav = await WavFileWriter.open(wavPath, {
      format,
      channelCount: 2,
      sampleRateHz: this.sampleRateHz,
      // libsndfile's rounding, so a render with no tail is byte-identical to `fluidsynth -F`.
      quantization: 'libsndfile',
    });
    const meter = new LevelMeter();
    const started = performance.now();
    let audio: RenderedStream;
    try {
      audio = await this.synth.renderMidiTo(
        bytes,
        async (left, right) => {
          meter.add([left, right]);
          await wav.write([left, right]);
        },
        withMusicEnd(song, { ...options, name: midiPath, expectedSeconds: durationSeconds(song) }),
        run,
      );
      if (run.signal?.aborted) throw new CancelledError();
    } catch (error) {
      await wav.abort();
      throw error;
    }
    const renderSeconds = (performance.now() - started) / 1000;
    const levels = meter.levels();
    const frames = audio.lengthFrames;
    const sidecarPath = options.sidecar === false ? undefined : `${wavPath}.json`;
    const result: RenderResult = {
      midiPath: path.resolve(midiPath),
      wavPath: path.resolve(wavPath),
      ...(sidecarPath ? { sidecarPath: path.resolve(sidecarPath) } : {}),
      soundfontPath: this.soundfontPath,
      engine: this.engine,
      engineVersion: this.engineVersion,
      sampleRateHz: this.sampleRateHz,
      format,
      gain: this.gain,
      durationSeconds: frames / this.sampleRateHz,
      tailSeconds: audio.tailFrames / this.sampleRateHz,
      peak: levels.peak,
      peakDbfs: levels.peakDbfs,
      rms: levels.rms,
      rmsDbfs: levels.rmsDbfs,
      clippedSamples: levels.clippedSamples,
      renderSeconds,
      realtimeFactor: frames / this.sampleRateHz / Math.max(renderSeconds, 1e-9),
      renderedAt: new Date().toISOString(),
    };
    await wav.finish();
    if (sidecarPath) {
      try {
        await writeJsonAtomic(sidecarPath, {
          ...result,
          peakDbfs: finite(result.peakDbfs),
          rmsDbfs: finite(result.rmsDbfs),
        });
      } catch (error) {
        // A WAV without its sidecar would look complete; take it back.
        await fs.rm(wavPath, { force: true }).catch(() => {});
        throw error;
      }
    }
    return result;
  }

  dispose(): void {
    this.synth.dispose();
  }
}

/** `options` with the music's end taken from `song` when the caller gave none, so the tail limit holds. */
function withMusicEnd(song: Song | undefined, options: RenderMidiOptions): RenderMidiOptions {
  if (song === undefined || options.musicEndSeconds !== undefined || options.maxTailSeconds === 0) return options;
  return { ...options, musicEndSeconds: musicEndSeconds(song) };
}

/** The Song of MIDI bytes as FluidSynth plays them (no pedal folded in, drums kept); undefined when they are not MIDI, which then renders without a tail cap. */
function songOfBytes(bytes: Uint8Array): Song | undefined {
  try {
    return parseMidi(bytes, { sustain: false, dropDrums: false }).song;
  } catch (error) {
    if (error instanceof MidiParseError) return undefined;
    throw error;
  }
}

/** JSON has no -Infinity; silence is written as null. */
function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

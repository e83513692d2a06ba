/**
 * A FluidSynth SoundFont loaded once and kept alive to render many MIDI files: the render loop
 * shared by the native and wasm engines. Each render gets a fresh synthesizer that borrows the
 * loaded SoundFont, because `fluid_synth_system_reset` leaves chorus and reverb state behind and
 * a reused synthesizer would not repeat a render exactly; a fresh one costs milliseconds. It plays a file exactly as the
 * `fluidsynth -F` command line does (sample-timed player, 64-frame blocks, stop when the player
 * stops), then keeps rendering the release tail until it falls silent or reaches a limit.
 */
import { CancelledError, MidiParseError, RenderError, SoundFontError } from '../../common/errors';
import type { RunOptions } from '../../common/progress';
import type { PcmAudio } from '../../common/audio/wav';
import type { Frames, Hertz, Seconds } from '../../common/units';
import type { EngineName, FluidBackend, FluidHandle } from './backend';

/** How the synthesizer is set up; fixed for its life. */
export interface SynthOptions {
  /** The SoundFont (SF2 or SF3) file to load. */
  soundfontPath: string;
  /** Output sample rate, e.g. 44100 or 48000. */
  sampleRateHz: Hertz;
  /** FluidSynth's master gain (`synth.gain`, 0..10; FluidSynth and its CLI default to 0.2). */
  gain: number;
}

/** Options for one render. */
export interface RenderMidiOptions {
  /**
   * The longest release tail kept: audio ends at most this long after `musicEndSeconds` (or,
   * without it, after the player stops), faded out over its last 50 ms when cut while still
   * sounding. 0 keeps exactly what the fluidsynth CLI writes, however long. Default 3 s.
   */
  maxTailSeconds?: Seconds;
  /**
   * When the music ends: the later of its last note-off and its last MIDI event. FluidSynth's
   * player keeps playing until every voice has died away, which for some SoundFont samples
   * (undamped high strings) is many seconds of near-silence; this lets the tail limit apply.
   */
  musicEndSeconds?: Seconds;
  /** The level below which the tail counts as silent and rendering stops (linear, default 1e-4 = -80 dBFS). */
  silenceLevel?: number;
  /** Seconds of music expected (from the MIDI's tempo map), so progress can show a total. */
  expectedSeconds?: Seconds;
  /** The MIDI file's name, for error messages. */
  name?: string;
}

/** Stereo audio from one render, with where the music ended and the tail began. */
export interface RenderedAudio extends PcmAudio {
  /** Frames rendered while the MIDI player was playing (what the fluidsynth CLI writes). */
  playedFrames: Frames;
  /** Frames of release tail: after the music's end when `musicEndSeconds` was given, else after the player stopped. */
  tailFrames: Frames;
}

/**
 * Receives a render's audio in order, a run of frames at a time (a few hundred thousand at most).
 * The arrays are reused once it returns or its promise settles: copy what must be kept.
 */
export type AudioSink = (left: Float32Array, right: Float32Array) => void | Promise<void>;

/** How long a streamed render came out and where its music ended. */
export interface RenderedStream {
  /** Frames per second. */
  sampleRateHz: Hertz;
  /** Frames handed to the sink in all. */
  lengthFrames: Frames;
  /** Frames rendered while the MIDI player was playing (what the fluidsynth CLI writes). */
  playedFrames: Frames;
  /** Frames of release tail: after the music's end when `musicEndSeconds` was given, else after the player stopped. */
  tailFrames: Frames;
}

/** FluidSynth's audio period: the CLI renders and checks the player in blocks of this many frames. */
export const BLOCK_FRAMES = 64;
/** Frames per storage chunk while rendering (a multiple of BLOCK_FRAMES). */
const CHUNK_FRAMES = 1 << 16;
/** Frames per tail window: the tail stops at the end of the first window whose peak is below the silence level. */
const TAIL_WINDOW_FRAMES = 1024;
/** Length of the fade-out applied where the tail limit cuts off sound. */
const FADE_SECONDS = 0.05;
/** Default cap on the release tail. */
export const DEFAULT_MAX_TAIL_SECONDS = 3;
/** Default silence level for ending the tail: -80 dBFS, well under 16-bit noise after gain. */
const DEFAULT_SILENCE_LEVEL = 1e-4;

/** A FluidSynth synthesizer with one SoundFont loaded, reused across renders; call `dispose()` when done. */
export class FluidSynth {
  /** Which engine renders. */
  readonly engine: EngineName;
  /** FluidSynth's version in that engine. */
  readonly version: string;
  /** How it was set up. */
  readonly options: Readonly<SynthOptions>;
  private readonly backend: FluidBackend;
  private settings: FluidHandle;
  /** The synthesizer that loaded (and owns) the SoundFont; it never plays. */
  private owner: FluidHandle;
  private readonly soundFont: FluidHandle;
  private busy = false;
  private disposeWhenIdle = false;
  /** Storage chunks kept between renders (native memory on the native engine). */
  private readonly spareChunks: Stereo[] = [];

  private constructor(
    backend: FluidBackend,
    options: SynthOptions,
    settings: FluidHandle,
    owner: FluidHandle,
    soundFont: FluidHandle,
  ) {
    this.backend = backend;
    this.engine = backend.engine;
    this.version = backend.version;
    this.options = options;
    this.settings = settings;
    this.owner = owner;
    this.soundFont = soundFont;
  }

  /**
   * Creates the synthesizer on `backend` and loads the SoundFont. Throws `SoundFontError` when
   * FluidSynth cannot load it, `RenderError` when the settings are refused.
   */
  static create(backend: FluidBackend, options: SynthOptions): FluidSynth {
    const settings = backend.newSettings();
    if (!settings) throw new RenderError(`FluidSynth (${backend.engine}) could not create its settings.`);
    const refuse = (name: string, value: unknown): never => {
      backend.deleteSettings(settings);
      throw new RenderError(`FluidSynth (${backend.engine}) refused ${name}=${String(value)}.`, {
        field: name,
      });
    };
    // The same settings the fluidsynth CLI applies for -F (fast render), so output matches it.
    if (!backend.setNum(settings, 'synth.sample-rate', options.sampleRateHz))
      refuse('synth.sample-rate', options.sampleRateHz);
    if (!backend.setNum(settings, 'synth.gain', options.gain)) refuse('synth.gain', options.gain);
    if (!backend.setStr(settings, 'player.timing-source', 'sample')) refuse('player.timing-source', 'sample');
    backend.setInt(settings, 'synth.lock-memory', 0);
    // Load only the samples of presets the music selects (the piano, not the whole General MIDI set):
    // it halves the load time of a big SF3 and leaves the rendered samples unchanged.
    backend.setInt(settings, 'synth.dynamic-sample-loading', 1);
    const synth = backend.newSynth(settings);
    if (!synth) {
      backend.deleteSettings(settings);
      throw new RenderError(`FluidSynth (${backend.engine}) could not create a synthesizer.`);
    }
    backend.takeLogMessages();
    const id = backend.loadSoundFont(synth, options.soundfontPath);
    if (id < 0) {
      const log = backend.takeLogMessages().filter((line) => line.startsWith('error'));
      backend.deleteSynth(synth);
      backend.deleteSettings(settings);
      throw new SoundFontError(
        `FluidSynth could not load the SoundFont ${options.soundfontPath}; it is damaged or not an SF2/SF3 file.`,
        {
          path: options.soundfontPath,
          detail: log,
        },
      );
    }
    return new FluidSynth(backend, options, settings, synth, backend.getSoundFont(synth, id));
  }

  /**
   * Renders a Standard MIDI File held in memory to stereo float audio, from a freshly made
   * synthesizer, so the same file always gives the same samples. Throws `MidiParseError` when FluidSynth
   * rejects the file, `CancelledError` when `run.signal` aborts.
   */
  async renderMidi(
    bytes: Uint8Array,
    options: RenderMidiOptions = {},
    run: RunOptions = {},
  ): Promise<RenderedAudio> {
    const parts: Stereo[] = [];
    const stream = await this.renderMidiTo(bytes, (l, r) => void parts.push([l.slice(), r.slice()]), options, run);
    const left = new Float32Array(stream.lengthFrames);
    const right = new Float32Array(stream.lengthFrames);
    let at = 0;
    for (const [l, r] of parts.splice(0)) {
      left.set(l, at);
      right.set(r, at);
      at += l.length;
    }
    return {
      sampleRateHz: stream.sampleRateHz,
      channels: [left, right],
      playedFrames: stream.playedFrames,
      tailFrames: stream.tailFrames,
    };
  }

  /**
   * Renders as `renderMidi` does, handing the audio to `sink` as it is made instead of keeping it,
   * so memory stays flat however long the piece (what `renderMidi` returns is what the sink gets,
   * in order). Throws what `renderMidi` throws, and what the sink throws.
   */
  async renderMidiTo(
    bytes: Uint8Array,
    sink: AudioSink,
    options: RenderMidiOptions = {},
    run: RunOptions = {},
  ): Promise<RenderedStream> {
    if (!this.owner) throw new RenderError('This synthesizer has been disposed.');
    if (this.busy)
      throw new RenderError('This synthesizer is already rendering; wait for it or create another.');
    const { backend } = this;
    const synth = backend.newSynth(this.settings);
    if (!synth) throw new RenderError(`FluidSynth (${this.engine}) could not create a synthesizer.`);
    if (backend.addSoundFont(synth, this.soundFont) < 0) {
      backend.deleteSynth(synth);
      throw new RenderError(
        `FluidSynth (${this.engine}) could not share the loaded SoundFont with a new synthesizer.`,
      );
    }
    this.busy = true;
    const name = options.name ?? 'the MIDI data';
    const rate = this.options.sampleRateHz;
    const maxTailFrames = Math.round(Math.max(0, options.maxTailSeconds ?? DEFAULT_MAX_TAIL_SECONDS) * rate);
    const silence = options.silenceLevel ?? DEFAULT_SILENCE_LEVEL;
    const fadeFrames = Math.min(FADE_SECONDS * rate, maxTailFrames);
    const player = backend.newPlayer(synth);
    // The last `fadeFrames` stay in memory until the end, where a fade may change them.
    const out = new StereoStream(
      () => this.spareChunks.pop() ?? this.newChunk(),
      (chunk) => this.spareChunks.push(chunk),
      sink,
      Math.ceil(fadeFrames),
    );
    try {
      if (!player) throw new RenderError(`FluidSynth (${this.engine}) could not create a MIDI player.`);
      if (!backend.playerAddMidi(player, bytes) || !backend.playerPlay(player))
        throw new MidiParseError(
          `FluidSynth could not play ${name}: it is not a Standard MIDI File it can read.`,
          { path: name },
        );
      const yieldEvery = rate; // about one second of audio between checks for cancel and progress
      let nextYield = yieldEvery;
      // Called only once per second of audio (see the loops), so the loops stay free of promises.
      const report = async (stage: string): Promise<void> => {
        nextYield += yieldEvery;
        // Let timers and signal handlers run, so cancel and progress work during a long render.
        await new Promise((resolve) => setImmediate(resolve));
        if (run.signal?.aborted) throw new CancelledError();
        const seconds = Math.round((out.length / rate) * 10) / 10;
        const total =
          options.expectedSeconds !== undefined ? Math.round(options.expectedSeconds * 10) / 10 : undefined;
        // Past the last note (FluidSynth's own wait, then the tail) there is no meaningful total.
        run.onProgress?.({
          stage,
          done: seconds,
          ...(total !== undefined && seconds < total ? { total } : {}),
          message: name,
        });
      };
      if (run.signal?.aborted) throw new CancelledError();
      // With a tail limit and a known end of music, the limit holds even while the player waits
      // for voices to die away; without one (or at 0) the player runs as in the fluidsynth CLI.
      const musicEndFrames =
        maxTailFrames > 0 && options.musicEndSeconds !== undefined
          ? Math.max(0, Math.round(options.musicEndSeconds * rate))
          : undefined;
      const capFrames = musicEndFrames === undefined ? Infinity : musicEndFrames + maxTailFrames;
      let windowFrames = 0;
      let windowPeak = 0;
      let silent = false;
      while (backend.playerIsPlaying(player) && out.length < capFrames) {
        // Whole blocks, as the CLI renders, except a last one cut short at the limit.
        const frames = Math.min(BLOCK_FRAMES, capFrames - out.length);
        const [left, right, offset] = out.reserve(frames);
        backend.writeFloat(synth, frames, left, right, offset);
        out.commit(frames);
        if (musicEndFrames !== undefined && out.length > musicEndFrames) {
          // Past the music's end nothing new starts, so the first quiet window ends it, as in the tail below.
          for (let i = offset; i < offset + frames; i++)
            windowPeak = Math.max(windowPeak, Math.abs(left[i]!), Math.abs(right[i]!));
          windowFrames += frames;
          if (windowFrames >= TAIL_WINDOW_FRAMES) {
            if (windowPeak < silence) {
              silent = true;
              break;
            }
            windowFrames = 0;
            windowPeak = 0;
          }
        }
        if (out.flushDue) await out.flush();
        if (out.length >= nextYield) await report('render');
      }
      const playedFrames = out.length;
      const tailEndFrames = Math.min(playedFrames + maxTailFrames, capFrames);
      while (!silent && out.length < tailEndFrames) {
        const frames = Math.min(TAIL_WINDOW_FRAMES, tailEndFrames - out.length);
        const [left, right, offset] = out.reserve(frames);
        backend.writeFloat(synth, frames, left, right, offset);
        out.commit(frames);
        let peak = 0;
        for (let i = offset; i < offset + frames; i++)
          peak = Math.max(peak, Math.abs(left[i]!), Math.abs(right[i]!));
        if (peak < silence) silent = true;
        if (out.flushDue) await out.flush();
        if (out.length >= nextYield) await report('render tail');
      }
      // Cut by the limit while still sounding: fade out, so the end is not a click.
      const cut =
        out.length >= capFrames || (maxTailFrames > 0 && out.length - playedFrames >= maxTailFrames);
      if (!silent && cut) out.fadeOut(fadeFrames);
      await out.flush(true);
      return {
        sampleRateHz: rate,
        lengthFrames: out.length,
        playedFrames,
        tailFrames:
          out.length - (musicEndFrames !== undefined ? Math.min(musicEndFrames, out.length) : playedFrames),
      };
    } finally {
      out.release();
      if (player) backend.deletePlayer(player);
      // The SoundFont belongs to the owner synthesizer; detach it so deleting this one leaves it loaded.
      backend.removeSoundFont(synth, this.soundFont);
      backend.deleteSynth(synth);
      this.busy = false;
      if (this.disposeWhenIdle) this.dispose();
    }
  }

  /** A storage chunk: in memory FluidSynth writes to directly where the engine offers it. */
  private newChunk(): Stereo {
    return this.backend.allocateFrames?.(CHUNK_FRAMES) ?? [new Float32Array(CHUNK_FRAMES), new Float32Array(CHUNK_FRAMES)];
  }

  /** Frees the synthesizer and its SoundFont (after the render in progress, if any); it cannot render afterwards. */
  dispose(): void {
    if (!this.owner) return;
    // The SoundFont is in use until the render in progress stops; free it then.
    if (this.busy) {
      this.disposeWhenIdle = true;
      return;
    }
    for (const [left] of this.spareChunks.splice(0)) this.backend.freeFrames?.(left);
    this.backend.deleteSynth(this.owner);
    this.backend.deleteSettings(this.settings);
    this.backend.dispose();
    this.owner = null;
    this.settings = null;
  }
}

/** A left and a right channel of the same length. */
type Stereo = [Float32Array, Float32Array];

/**
 * Stereo float audio made in fixed chunks and handed to a sink as they fill, all but the last
 * `keepFrames` (a fade at the end may still change those). Chunks come from `take` and go back
 * through `give` once the sink is done with them.
 */
class StereoStream {
  /** Chunks not yet handed on, oldest first, with the frames written in each; the last is being filled. */
  private readonly chunks: { arrays: Stereo; frames: number }[] = [];
  private held = 0;
  /** Frames written so far. */
  length = 0;
  /** Whether a chunk filled up since the last flush. */
  flushDue = false;

  constructor(
    private readonly take: () => Stereo,
    private readonly give: (chunk: Stereo) => void,
    private readonly sink: AudioSink,
    private readonly keepFrames: number,
  ) {}

  /** Space for `frames` contiguous frames: the chunk's arrays and the offset to write at. */
  reserve(frames: number): [Float32Array, Float32Array, number] {
    let last = this.chunks[this.chunks.length - 1];
    // Chunk ends are multiples of the block and window sizes, so a reservation never straddles two chunks
    // unless a window was cut short by the tail limit; then the rest of that chunk is left unused.
    if (!last || last.frames + frames > CHUNK_FRAMES) {
      last = { arrays: this.take(), frames: 0 };
      this.chunks.push(last);
      this.flushDue = this.chunks.length > 1;
    }
    return [last.arrays[0], last.arrays[1], last.frames];
  }

  /** Marks `frames` frames after the last reservation's offset as written. */
  commit(frames: number): void {
    this.chunks[this.chunks.length - 1]!.frames += frames;
    this.held += frames;
    this.length += frames;
  }

  /**
   * Hands the sink every filled chunk it may have, keeping the last `keepFrames` frames; `end`
   * hands it everything, the chunk being filled included, once the render is over.
   */
  async flush(end = false): Promise<void> {
    this.flushDue = false;
    const keep = end ? 0 : this.keepFrames;
    while (this.chunks.length > (end ? 0 : 1) && this.held - this.chunks[0]!.frames >= keep) {
      const { arrays, frames } = this.chunks[0]!;
      if (frames > 0) await this.sink(arrays[0].subarray(0, frames), arrays[1].subarray(0, frames));
      this.chunks.shift();
      this.held -= frames;
      this.give(arrays);
    }
  }

  /** Fades the last `frames` frames (at most `keepFrames`) linearly to zero, in place. */
  fadeOut(frames: number): void {
    const n = Math.min(Math.round(frames), this.held);
    // Frame k of the last n, counted from the start of the fade, gets 1 - (k + 1) / n.
    let k = n - 1;
    for (let c = this.chunks.length - 1; c >= 0 && k >= 0; c--) {
      const { arrays, frames: filled } = this.chunks[c]!;
      for (let i = filled - 1; i >= 0 && k >= 0; i--, k--) {
        const gain = 1 - (k + 1) / n;
        arrays[0][i]! *= gain;
        arrays[1][i]! *= gain;
      }
    }
  }

  /** Gives back the chunks still held (after a failure, or when done). */
  release(): void {
    for (const { arrays } of this.chunks.splice(0)) this.give(arrays);
    this.held = 0;
  }
}

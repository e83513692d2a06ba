import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLevels, rmsEnvelope } from '../../common/audio/levels';
import { decodeWav } from '../../common/audio/wav';
import {
  CancelledError,
  IoError,
  MidiParseError,
  RenderError,
  SoundFontError,
  UsageError,
} from '../../common/errors';
import { emptySong } from '../../common/song/song';
import { tempoMapOf } from '../../common/song/tempo';
import { readMidiFile } from '../midi/read';
import { encodeMidi } from '../midi/write';
import { sharedCorpusOrSkip } from '../testing/sharedCorpus';
import { createRenderer, type Renderer, type RenderResult } from './render';
import type { RenderedAudio } from './fluidLoop';
import { fixtureSong, nativeUnavailableReason, skipNativeOrFail, TEST_SOUNDFONT } from './testFixtures';

const skipNative = skipNativeOrFail(nativeUnavailableReason());
let dir: string;
let fixture: string;
let wasm: Renderer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-render-'));
  fixture = path.join(dir, 'fixture.mid');
  await writeFile(fixture, encodeMidi(fixtureSong()));
  wasm = await createRenderer({ engine: 'wasm', soundfontPath: TEST_SOUNDFONT, gain: 0.5 });
});
afterAll(async () => {
  wasm?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Two notes ending at 1 s, the last a short high one (pitch 94): with FluidSynth 2.3.1's player,
 * which waits for every voice to die, such undamped high samples keep a render going for seconds
 * of near-silence (7 s with the test SoundFont, 22 s with the default one).
 */
function highNoteSong(): Uint8Array {
  const song = emptySong(480);
  song.notes.push({ pitch: 60, velocity: 80, startTicks: 0, endTicks: 960, track: 0, channel: 0 });
  song.notes.push({ pitch: 94, velocity: 80, startTicks: 480, endTicks: 560, track: 0, channel: 0 });
  return encodeMidi(song);
}

/** Checks that `audio` ends `seconds` after 1 s, faded out: silent at its very end, quieter over its last 10 ms than just before. */
function expectCutAndFaded(audio: RenderedAudio, seconds: number): void {
  const rate = audio.sampleRateHz;
  const [left] = audio.channels;
  expect(left!.length).toBe(Math.round(rate * (1 + seconds)));
  expect(audio.tailFrames).toBe(Math.round(rate * seconds));
  expect(left!.at(-1)).toBe(0);
  const peak = (from: number, to: number): number => measureLevels([left!.subarray(from, to)]).peak;
  const n = left!.length;
  expect(peak(n - Math.round(rate * 0.01), n)).toBeLessThan(
    peak(n - Math.round(rate * 0.06), n - Math.round(rate * 0.05)) / 2,
  );
}

/** Renders `midi` with the fluidsynth CLI exactly as a user would, returning the WAV bytes. */
function cliRender(midi: string, out: string, gain: number, rateHz: number): Buffer {
  execFileSync(
    'fluidsynth',
    ['-q', '-ni', '-g', String(gain), '-r', String(rateHz), '-F', out, TEST_SOUNDFONT, midi],
    {
      stdio: 'pipe',
    },
  );
  return readFileSync(out);
}

/** Expects `promise` to reject with an error of class `type` whose message is exactly `message`. */
async function expectError(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  message: string | RegExp,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  if (typeof message === 'string') expect((error as Error).message).toBe(message);
  else expect((error as Error).message).toMatch(message);
}

describe.skipIf(skipNative)('native engine against the fluidsynth CLI', () => {
  let native: Renderer;
  beforeAll(async () => {
    native = await createRenderer({ engine: 'native', soundfontPath: TEST_SOUNDFONT, gain: 0.5 });
  });
  afterAll(() => native?.dispose());

  it('writes a WAV byte-identical to `fluidsynth -F` when the tail is off, for every file of a batch', async () => {
    const other = path.join(dir, 'other.mid');
    const song = fixtureSong();
    song.notes = song.notes.map((n) => ({ ...n, pitch: n.pitch - 5 }));
    await writeFile(other, encodeMidi(song));
    // Render twice through the same renderer: a reused SoundFont must not change what the next file sounds like.
    for (const midi of [fixture, other, fixture]) {
      const ours = path.join(dir, 'ours.wav');
      await native.renderFile(midi, ours, { maxTailSeconds: 0, sidecar: false });
      const theirs = cliRender(midi, path.join(dir, 'cli.wav'), 0.5, 44100);
      const bytes = await readFile(ours);
      expect(bytes.length).toBe(theirs.length);
      expect(Buffer.compare(bytes, theirs)).toBe(0);
      // Not silence: the comparison would be empty otherwise.
      expect(measureLevels(decodeWav(bytes).channels).peak).toBeGreaterThan(0.05);
    }
  });

  it('matches the CLI at 48 kHz and another gain too', async () => {
    const r48 = await createRenderer({
      engine: 'native',
      soundfontPath: TEST_SOUNDFONT,
      gain: 0.3,
      sampleRateHz: 48000,
    });
    try {
      const ours = path.join(dir, 'ours48.wav');
      await r48.renderFile(fixture, ours, { maxTailSeconds: 0, sidecar: false });
      const theirs = cliRender(fixture, path.join(dir, 'cli48.wav'), 0.3, 48000);
      expect(Buffer.compare(await readFile(ours), theirs)).toBe(0);
      expect(decodeWav(theirs).sampleRateHz).toBe(48000);
    } finally {
      r48.dispose();
    }
  });

  it('agrees with the wasm engine: 50 ms RMS envelopes within 0.1 dB and 60 dB SNR over the shared length', async () => {
    const bytes = encodeMidi(fixtureSong());
    const a = await native.renderMidiBytes(bytes);
    const b = await wasm.renderMidiBytes(bytes);
    expectAgreement(a, b);
  });

  it('agrees with the wasm engine on real piano music (12 s of a corpus piece, pedal and all)', async (ctx) => {
    const corpus = sharedCorpusOrSkip();
    if (!corpus) return ctx.skip('the shared corpus (../shared/corpora/piano-midi) is not present');
    const { song } = await readMidiFile(path.join(corpus, 'Chopin', 'chpn-p20.mid'), { sustain: false });
    // Keep what starts in the first 12 s; end the track a second after the last release (see fixtureSong).
    const map = tempoMapOf(song);
    song.notes = song.notes.filter((n) => map.toSeconds(n.startTicks) < 12);
    const last = Math.max(...song.notes.map((n) => n.endTicks));
    song.pedals = song.pedals.filter((p) => p.ticks < last);
    song.pedals.push({ ticks: last + song.ppq * 2, track: 0, channel: song.notes[0]!.channel, down: false });
    const bytes = encodeMidi(song);
    expectAgreement(await native.renderMidiBytes(bytes), await wasm.renderMidiBytes(bytes));
  });

  it('ends the audio at most --max-tail after the last note-off, though the player waits for voices to die', async () => {
    const bytes = highNoteSong();
    // With the tail off, the player runs on for seconds of near-silence, as `fluidsynth -F` does.
    const uncapped = await native.renderMidiBytes(bytes, { maxTailSeconds: 0 });
    expect(uncapped.channels[0]!.length / uncapped.sampleRateHz).toBeGreaterThan(4);
    expectCutAndFaded(await native.renderMidiBytes(bytes, { maxTailSeconds: 0.2 }), 0.2);
    // A longer limit stops where the sound falls below the silence level, well before the limit.
    const quiet = await native.renderMidiBytes(bytes, { maxTailSeconds: 3 });
    expect(quiet.channels[0]!.length / quiet.sampleRateHz).toBeLessThan(3);
    const ends = quiet.channels.map((c) => c.subarray(c.length - 1024));
    expect(measureLevels(ends).peak).toBeLessThan(1e-4);
  });

  it('auto picks native when the library loads', async () => {
    const r = await createRenderer({ soundfontPath: TEST_SOUNDFONT });
    try {
      expect(r.engine).toBe('native');
      expect(r.fallbackReason).toBeUndefined();
    } finally {
      r.dispose();
    }
  });
});

/**
 * The agreement measure between two renders of the same MIDI (documented in docs/SYNTHESIS.md),
 * over their common length: RMS envelopes in 50 ms frames differ by at most 0.1 dB in frames
 * within 40 dB of the loudest frame and by at most 1 dB in frames 40 to 60 dB down (quieter ones
 * are release tails, where the FluidSynth builds end their player differently); the ratio of
 * signal to difference is at least 60 dB; and what the longer render has beyond the shorter is
 * below -60 dBFS.
 */
function expectAgreement(a: RenderedAudio, b: RenderedAudio): void {
  const frame = Math.round(a.sampleRateHz * 0.05);
  const common = Math.min(a.channels[0]!.length, b.channels[0]!.length);
  const cut = (x: RenderedAudio): Float32Array[] => x.channels.map((c) => c.subarray(0, common));
  const ea = rmsEnvelope(cut(a), frame);
  const eb = rmsEnvelope(cut(b), frame);
  const loudest = Math.max(...ea, ...eb);
  let worstLoudDb = 0;
  let worstQuietDb = 0;
  let loudFrames = 0;
  for (let i = 0; i < ea.length; i++) {
    const level = Math.max(ea[i]!, eb[i]!) / loudest;
    const diffDb = Math.abs(20 * Math.log10(ea[i]! / eb[i]!));
    if (level >= 0.01) {
      loudFrames++;
      worstLoudDb = Math.max(worstLoudDb, diffDb);
    } else if (level >= 0.001) worstQuietDb = Math.max(worstQuietDb, diffDb);
  }
  expect(loudFrames).toBeGreaterThan(20);
  expect(worstLoudDb).toBeLessThan(0.1);
  expect(worstQuietDb).toBeLessThan(1);
  let signal = 0;
  let noise = 0;
  for (let c = 0; c < 2; c++)
    for (let i = 0; i < common; i++) {
      signal += a.channels[c]![i]! ** 2;
      noise += (a.channels[c]![i]! - b.channels[c]![i]!) ** 2;
    }
  expect(10 * Math.log10(signal / Math.max(noise, 1e-30))).toBeGreaterThan(60);
  for (const x of [a, b])
    expect(measureLevels(x.channels.map((c) => c.subarray(common))).peak).toBeLessThan(1e-3);
}

describe('wasm engine', () => {
  it('renders the fixture: sound where the notes are, silence before, a release tail after', async () => {
    const audio = await wasm.renderMidiBytes(encodeMidi(fixtureSong()));
    const rate = audio.sampleRateHz;
    expect(rate).toBe(44100);
    expect(audio.channels).toHaveLength(2);
    // The track ends at 3 s (2880 ticks at 480 ppq, 120 BPM); the player stops within a block of it.
    expect(audio.playedFrames / rate).toBeGreaterThan(2.95);
    expect(audio.playedFrames / rate).toBeLessThan(3.1);
    expect(audio.tailFrames).toBeGreaterThan(0);
    expect(audio.tailFrames / rate).toBeLessThanOrEqual(3);
    const env = rmsEnvelope(audio.channels, Math.round(rate * 0.05));
    // The first note sounds from 0 s; the chord at 1 s is louder than the quiet first note.
    expect(env[1]!).toBeGreaterThan(1e-3);
    expect(env[22]!).toBeGreaterThan(env[2]! * 2);
    // The chord was released at 2.5 s: the sound decays.
    expect(env[env.length - 1]!).toBeLessThan(env[48]! / 10);
  });

  it('keeps no tail with maxTailSeconds 0 and caps it otherwise', async () => {
    const song = fixtureSong();
    const bytes = encodeMidi(song);
    const none = await wasm.renderMidiBytes(bytes, { maxTailSeconds: 0 });
    expect(none.tailFrames).toBe(0);
    expect(none.channels[0]!.length).toBe(none.playedFrames);
    const short = await wasm.renderMidiBytes(bytes, { maxTailSeconds: 0.01 });
    expect(short.tailFrames).toBe(441);
  });

  it('cuts a tail still sounding at the limit with a fade, counted from the last note-off', async () => {
    expectCutAndFaded(await wasm.renderMidiBytes(highNoteSong(), { maxTailSeconds: 0.2 }), 0.2);
  });

  it('renders a Song through renderSong the same as its MIDI bytes', async () => {
    const song = fixtureSong();
    const a = await wasm.renderSong(song);
    const b = await wasm.renderMidiBytes(encodeMidi(song));
    expect(Buffer.compare(Buffer.from(a.channels[0]!.buffer), Buffer.from(b.channels[0]!.buffer))).toBe(0);
    await expect(wasm.renderSong(emptySong())).rejects.toThrow(MidiParseError);
  });

  it('finishes a render in progress when disposed during it, then refuses new ones', async () => {
    const r = await createRenderer({ engine: 'wasm', soundfontPath: TEST_SOUNDFONT });
    const pending = r.renderMidiBytes(encodeMidi(fixtureSong()));
    r.dispose();
    const audio = await pending;
    expect(measureLevels(audio.channels).peak).toBeGreaterThan(0.05);
    await expectError(
      r.renderMidiBytes(encodeMidi(fixtureSong())),
      RenderError,
      'This synthesizer has been disposed.',
    );
  });

  it('stops with CancelledError when the signal aborts, writing nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const out = path.join(dir, 'cancelled.wav');
    await expect(wasm.renderFile(fixture, out, {}, { signal: controller.signal })).rejects.toThrow(
      CancelledError,
    );
    expect((await readdir(dir)).filter((f) => f.includes('cancelled'))).toEqual([]);
  });

  it('stops mid-render when the signal aborts, leaving no partial or temporary file', async () => {
    const controller = new AbortController();
    const out = path.join(dir, 'stopped.wav');
    const render = wasm.renderFile(fixture, out, {}, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(render).rejects.toThrow(CancelledError);
    expect((await readdir(dir)).filter((f) => f.includes('stopped'))).toEqual([]);
  });
});

describe('renderFile output', () => {
  let result: RenderResult;
  it('writes as it renders exactly the audio renderMidiBytes returns, a fade across chunks included', async () => {
    // 1.5 s at 44.1 kHz, still sounding when cut: 65,536 frames in the first storage chunk, 614 in
    // the second, so the 50 ms fade straddles the two.
    const midi = path.join(dir, 'high.mid');
    await writeFile(midi, highNoteSong());
    const out = path.join(dir, 'streamed.wav');
    const streamed = await wasm.renderFile(midi, out, { maxTailSeconds: 0.5, format: 'float32', sidecar: false });
    const whole = await wasm.renderMidiBytes(highNoteSong(), { maxTailSeconds: 0.5 });
    expectCutAndFaded(whole, 0.5);
    const wav = decodeWav(await readFile(out));
    expect(wav.lengthFrames).toBe(whole.channels[0]!.length);
    for (const c of [0, 1])
      expect(Buffer.from(wav.channels[c]!.buffer).equals(Buffer.from(whole.channels[c]!.buffer))).toBe(true);
    const levels = measureLevels(whole.channels);
    expect(streamed.peak).toBe(levels.peak);
    expect(streamed.rms).toBeCloseTo(levels.rms, 12);
    expect(streamed.durationSeconds).toBe(1.5);
    expect(streamed.tailSeconds).toBe(0.5);
  });

  it('writes the WAV and a sidecar that describes it', async () => {
    const out = path.join(dir, 'out', 'fixture.wav');
    result = await wasm.renderFile(fixture, out);
    const wav = decodeWav(await readFile(out));
    expect(wav.format).toBe('pcm16');
    expect(wav.sampleRateHz).toBe(44100);
    expect(wav.channels).toHaveLength(2);
    const sidecar = JSON.parse(await readFile(`${out}.json`, 'utf8')) as RenderResult;
    expect(sidecar.midiPath).toBe(fixture);
    expect(sidecar.wavPath).toBe(out);
    expect(sidecar.soundfontPath).toBe(TEST_SOUNDFONT);
    expect(sidecar.engine).toBe('wasm');
    expect(sidecar.engineVersion).toMatch(/^2\.3\./);
    expect(sidecar.gain).toBe(0.5);
    expect(sidecar.durationSeconds).toBeCloseTo(wav.lengthFrames / 44100, 9);
    expect(sidecar.tailSeconds).toBeGreaterThan(0);
    // The sidecar's peak is of the float render; the file's is after 16-bit rounding, within one step.
    const filePeak = measureLevels(wav.channels).peak;
    expect(Math.abs(sidecar.peak - filePeak)).toBeLessThanOrEqual(2 / 32768);
    expect(sidecar.peakDbfs).toBeCloseTo(20 * Math.log10(sidecar.peak), 9);
    expect(Math.abs(sidecar.rms - measureLevels(wav.channels).rms)).toBeLessThan(1e-4);
    expect(sidecar.clippedSamples).toBe(0);
    expect(sidecar.renderSeconds).toBeGreaterThan(0);
    expect(sidecar.realtimeFactor).toBeCloseTo(sidecar.durationSeconds / sidecar.renderSeconds, 6);
    expect(sidecar).toEqual({ ...result, midiPath: fixture, wavPath: out });
  });

  it('writes 24-bit and float WAVs at 48 kHz holding the same music', async () => {
    const r48 = await createRenderer({ engine: 'wasm', soundfontPath: TEST_SOUNDFONT, sampleRateHz: 48000 });
    try {
      const f32 = path.join(dir, 'f32.wav');
      const s24 = path.join(dir, 's24.wav');
      await r48.renderFile(fixture, f32, { format: 'float32', sidecar: false });
      await r48.renderFile(fixture, s24, { format: 'pcm24', sidecar: false });
      const a = decodeWav(await readFile(f32));
      const b = decodeWav(await readFile(s24));
      expect([a.format, a.sampleRateHz, b.format, b.sampleRateHz]).toEqual([
        'float32',
        48000,
        'pcm24',
        48000,
      ]);
      expect(a.lengthFrames).toBe(b.lengthFrames);
      let worst = 0;
      for (let i = 0; i < a.lengthFrames; i++)
        worst = Math.max(worst, Math.abs(a.channels[0]![i]! - b.channels[0]![i]!));
      expect(worst).toBeLessThanOrEqual(1 / 8388608);
      expect(measureLevels(a.channels).peak).toBeGreaterThan(0.05);
    } finally {
      r48.dispose();
    }
  });

  it('counts clipped samples when the gain drives the synth past full scale', async () => {
    const loud = await createRenderer({ engine: 'wasm', soundfontPath: TEST_SOUNDFONT, gain: 10 });
    try {
      const r = await loud.renderFile(fixture, path.join(dir, 'loud.wav'), { maxTailSeconds: 0 });
      expect(r.peak).toBeGreaterThan(1);
      expect(r.clippedSamples).toBeGreaterThan(0);
      expect(r.peakDbfs).toBeGreaterThan(0);
    } finally {
      loud.dispose();
    }
  });
});

describe('bad inputs: one sentence each, nothing written', () => {
  it('a missing SoundFont', async () => {
    const missing = path.join(dir, 'nope.sf2');
    await expectError(
      createRenderer({ soundfontPath: missing }),
      SoundFontError,
      `The SoundFont ${missing} does not exist.`,
    );
  });

  it('a file that is not a SoundFont, and one that claims to be but is damaged', async () => {
    const text = path.join(dir, 'notes.sf2');
    await writeFile(text, 'this is not a soundfont at all');
    await expectError(
      createRenderer({ engine: 'wasm', soundfontPath: text }),
      SoundFontError,
      `The file ${text} is not a SoundFont: it lacks the RIFF 'sfbk' header of SF2/SF3 files.`,
    );
    const damaged = path.join(dir, 'damaged.sf2');
    const head = Buffer.from('RIFF\0\0\0\0sfbkLIST', 'latin1');
    await writeFile(damaged, Buffer.concat([head, Buffer.alloc(200, 7)]));
    for (const engine of skipNative ? (['wasm'] as const) : (['wasm', 'native'] as const))
      await expectError(
        createRenderer({ engine, soundfontPath: damaged }),
        SoundFontError,
        `FluidSynth could not load the SoundFont ${damaged}; it is damaged or not an SF2/SF3 file.`,
      );
  });

  it('a non-MIDI file and a MIDI file without notes', async () => {
    const text = path.join(dir, 'text.mid');
    await writeFile(text, 'hello, not a midi file');
    await expectError(wasm.renderFile(text, path.join(dir, 'text.wav')), MidiParseError, /text\.mid/);
    const empty = path.join(dir, 'empty.mid');
    await writeFile(empty, encodeMidi(emptySong()));
    await expectError(
      wasm.renderFile(empty, path.join(dir, 'empty.wav')),
      MidiParseError,
      `${empty} has no notes to render.`,
    );
    const files = await readdir(dir);
    expect(files.filter((f) => /^(text|empty)\.wav/.test(f) || f.endsWith('.tmp'))).toEqual([]);
  });

  it('an output path that cannot be written (its folder is a file)', async () => {
    const blocker = path.join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    const error = await wasm.renderFile(fixture, path.join(blocker, 'out.wav')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect((error as IoError).message).toBe(
      `Could not write to ${blocker}: a part of that path is a file, not a folder.`,
    );
  });

  it('a bad sample rate or gain, and a library path that does not exist', async () => {
    await expect(createRenderer({ sampleRateHz: 22050, soundfontPath: TEST_SOUNDFONT })).rejects.toThrow(
      UsageError,
    );
    await expect(createRenderer({ gain: -1, soundfontPath: TEST_SOUNDFONT })).rejects.toThrow(UsageError);
    await expectError(
      createRenderer({
        engine: 'native',
        libraryPath: '/no/libfluidsynth.so.3',
        soundfontPath: TEST_SOUNDFONT,
      }),
      RenderError,
      'The FluidSynth library /no/libfluidsynth.so.3 does not exist.',
    );
  });

  it('auto falls back to wasm and says why when the library cannot load', async () => {
    const r = await createRenderer({ libraryPath: '/no/libfluidsynth.so.3', soundfontPath: TEST_SOUNDFONT });
    try {
      expect(r.engine).toBe('wasm');
      expect(r.fallbackReason).toBe('The FluidSynth library /no/libfluidsynth.so.3 does not exist.');
    } finally {
      r.dispose();
    }
  });
});

/**
 * WAV (RIFF/WAVE) bytes to and from float samples, pure TypeScript with no Node APIs, so the
 * renderer, evaluation and refinement all read and write audio the same way.
 * Encodes 16-bit and 24-bit PCM and 32-bit IEEE float; decodes those plus 8-bit and 32-bit PCM,
 * 64-bit float and WAVE_FORMAT_EXTENSIBLE, skipping chunks it does not need (LIST, fact, PEAK…).
 */
import { AudioError } from '../errors';
import type { Frames, Hertz } from '../units';

/** How samples are stored in a WAV file. */
export type WavSampleFormat = 'pcm16' | 'pcm24' | 'float32';

/** Every sample format Cadenza writes, for option parsing and help text. */
export const WAV_SAMPLE_FORMATS: readonly WavSampleFormat[] = ['pcm16', 'pcm24', 'float32'];

/**
 * How float samples become integers. 'nearest' rounds x * 2^(bits-1) to nearest (no DC bias);
 * 'libsndfile' does what libsndfile (and so the fluidsynth CLI) does with clipping on: round
 * x * 2^31 to a 32-bit integer, then shift right, which floors to the output width.
 */
export type WavQuantization = 'nearest' | 'libsndfile';

/** Options for `encodeWav`. */
export interface EncodeWavOptions {
  /** Float-to-integer rule for PCM formats (default 'nearest'); float32 ignores it. */
  quantization?: WavQuantization;
}

/** Audio as one float array per channel, samples nominally in -1..1 (full scale is 1). */
export interface PcmAudio {
  /** Frames per second, e.g. 44100. */
  sampleRateHz: Hertz;
  /** One array per channel (1 = mono, 2 = stereo: left then right), all of the same length. */
  channels: Float32Array[];
}

/** A decoded WAV file: its samples and how they were stored. */
export interface DecodedWav extends PcmAudio {
  /** The stored format: one Cadenza writes, or a description of another (e.g. 'pcm8', 'float64'). */
  format: WavSampleFormat | 'pcm8' | 'pcm32' | 'float64';
  /** Bits per stored sample. */
  bitsPerSample: number;
  /** Frames in the file. */
  lengthFrames: Frames;
}

/** True on little-endian machines, where typed-array views can write WAV samples directly. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Bytes per sample for each format Cadenza writes. */
function bytesPerSample(format: WavSampleFormat): number {
  return format === 'pcm16' ? 2 : format === 'pcm24' ? 3 : 4;
}

/** Bytes of the canonical header `wavHeader` writes (RIFF, fmt, data). */
export const WAV_HEADER_BYTES = 44;

/**
 * The 44-byte header of a canonical WAV file (RIFF, fmt, data) of `lengthFrames` frames.
 * Throws `AudioError` for a channel count or rate a WAV cannot hold, or more data than a RIFF
 * file can hold (4 GiB).
 */
export function wavHeader(
  format: WavSampleFormat,
  channelCount: number,
  sampleRateHz: Hertz,
  lengthFrames: Frames,
): Uint8Array {
  if (channelCount < 1 || channelCount > 16)
    throw new AudioError(`Cannot write a WAV with ${channelCount} channels; 1 to 16 are allowed.`, {
      field: 'channels',
    });
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1 || sampleRateHz > 768000)
    throw new AudioError(
      `Cannot write a WAV at ${sampleRateHz} Hz; the rate must be a whole number from 1 to 768000.`,
      {
        field: 'sampleRateHz',
      },
    );
  const width = bytesPerSample(format);
  const blockAlign = width * channelCount;
  const dataBytes = lengthFrames * blockAlign;
  if (dataBytes > 0xffffffff - 36)
    throw new AudioError(`Cannot write ${lengthFrames} frames to one WAV file: it would exceed 4 GiB.`, {
      field: 'channels',
    });
  const bytes = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  writeTag(bytes, 0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  writeTag(bytes, 8, 'WAVE');
  writeTag(bytes, 12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, format === 'float32' ? FORMAT_FLOAT : FORMAT_PCM, true);
  view.setUint16(22, channelCount, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, width * 8, true);
  writeTag(bytes, 36, 'data');
  view.setUint32(40, dataBytes, true);
  return bytes;
}

/**
 * Encodes audio as a canonical WAV file (44-byte header: RIFF, fmt, data).
 * Integer formats use a full scale of 2^(bits-1) and clamp, so a value of exactly 1.0 becomes
 * the largest positive sample; rounding follows `options.quantization`; no dither, so encoding
 * is deterministic.
 * Throws `AudioError` when the audio has no channels, channels of unequal length, a bad rate,
 * or more data than a RIFF file can hold (4 GiB).
 */
export function encodeWav(
  audio: PcmAudio,
  format: WavSampleFormat,
  options: EncodeWavOptions = {},
): Uint8Array {
  const { channels, sampleRateHz } = audio;
  const lengthFrames = channels[0]?.length ?? 0;
  const header = wavHeader(format, channels.length, sampleRateHz, lengthFrames);
  const bytes = new Uint8Array(WAV_HEADER_BYTES + lengthFrames * channels.length * bytesPerSample(format));
  bytes.set(header);
  encodeWavFrames(channels, format, options, bytes.subarray(WAV_HEADER_BYTES));
  return bytes;
}

/**
 * Encodes `channels` (of equal length) as a WAV file's interleaved sample bytes, as `encodeWav`
 * does after its header: into `out` when given (it must hold them all), else into new bytes.
 * Returns the bytes written. Throws `AudioError` for channels of unequal length.
 */
export function encodeWavFrames(
  channels: readonly Float32Array[],
  format: WavSampleFormat,
  options: EncodeWavOptions = {},
  out?: Uint8Array,
): Uint8Array {
  const channelCount = channels.length;
  const lengthFrames = channels[0]?.length ?? 0;
  if (channels.some((c) => c.length !== lengthFrames))
    throw new AudioError('Cannot write a WAV whose channels differ in length.', { field: 'channels' });
  const width = bytesPerSample(format);
  const blockAlign = width * channelCount;
  const size = lengthFrames * blockAlign;
  if (out && out.length < size)
    throw new RangeError(`encodeWavFrames needs ${size} bytes of room, not ${out.length}.`);
  const bytes = out ? out.subarray(0, size) : new Uint8Array(size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const libsndfile = options.quantization === 'libsndfile';
  // Typed-array views write samples several times faster than DataView; WAV is little-endian,
  // so they are used when this machine is too (all Cadenza targets are) and the bytes are
  // aligned for them, DataView otherwise.
  const typed = LITTLE_ENDIAN && bytes.byteOffset % width === 0;
  if (format === 'float32') {
    if (typed) {
      const samples = new Float32Array(bytes.buffer, bytes.byteOffset, lengthFrames * channelCount);
      channels.forEach((ch, c) => {
        for (let i = 0, j = c; i < lengthFrames; i++, j += channelCount) samples[j] = ch[i]!;
      });
    } else
      for (let i = 0, offset = 0; i < lengthFrames; i++)
        for (let c = 0; c < channelCount; c++, offset += 4) view.setFloat32(offset, channels[c]![i]!, true);
  } else if (format === 'pcm16') {
    const toInt = libsndfile ? libsndfile16 : (x: number): number => quantize(x, 32768);
    if (typed) {
      const samples = new Int16Array(bytes.buffer, bytes.byteOffset, lengthFrames * channelCount);
      for (let c = 0; c < channelCount; c++)
        if (libsndfile) interleaveLibsndfile16(channels[c]!, samples, c, channelCount);
        else {
          const ch = channels[c]!;
          for (let i = 0, j = c; i < lengthFrames; i++, j += channelCount) samples[j] = toInt(ch[i]!);
        }
    } else
      for (let i = 0, offset = 0; i < lengthFrames; i++)
        for (let c = 0; c < channelCount; c++, offset += 2)
          view.setInt16(offset, toInt(channels[c]![i]!), true);
  } else {
    const toInt = libsndfile ? libsndfile24 : (x: number): number => quantize(x, 8388608);
    channels.forEach((ch, c) => {
      for (let i = 0, offset = c * 3; i < lengthFrames; i++, offset += blockAlign) {
        const v = toInt(ch[i]!);
        bytes[offset] = v & 0xff;
        bytes[offset + 1] = (v >> 8) & 0xff;
        bytes[offset + 2] = (v >> 16) & 0xff;
      }
    });
  }
  return bytes;
}

/** Rounds a float sample to an integer of the given full scale, clamping to the representable range. */
function quantize(sample: number, fullScale: number): number {
  // NaN would otherwise become 0 silently through the bit operations; make it explicit.
  if (Number.isNaN(sample)) return 0;
  const v = Math.round(sample * fullScale);
  return v >= fullScale ? fullScale - 1 : v < -fullScale ? -fullScale : v;
}

/*
 * libsndfile with clipping on (and so the fluidsynth CLI) scales a float sample by 2^31 in single
 * precision, rounds half to even (lrintf), clips to 32 bits and shifts right to the output width.
 * For a float32 sample x that is floor(x * 2^(bits-1) + 2^-(33-bits)), clamped: the scaling is
 * exact, and the rounding can carry into the kept bits only where half-to-even would round
 * to an odd number, which the shift never keeps (checked against the long form on 74 million
 * samples; wav.test.ts keeps a million of them). NaN comes out as NaN, which typed arrays and the
 * byte writer store as 0.
 */
/** A float32 sample to 16 bits as libsndfile writes it. */
function libsndfile16(x: number): number {
  const v = Math.floor(x * 32768 + 7.62939453125e-6);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/**
 * Writes `channel` as 16-bit samples the way libsndfile does (as `libsndfile16`) into every
 * `stride`-th slot of `out` from `start`. Its own small function with the rounding inline: the
 * render's WAV writer spends most of its time here, and V8 optimizes this loop at once, where
 * inside `encodeWavFrames` it was deoptimized and recompiled call after call.
 */
function interleaveLibsndfile16(channel: Float32Array, out: Int16Array, start: number, stride: number): void {
  const n = channel.length;
  for (let i = 0, j = start; i < n; i++, j += stride) {
    const v = Math.floor(channel[i]! * 32768 + 7.62939453125e-6);
    out[j] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}

/** A float32 sample to 24 bits as libsndfile writes it. */
function libsndfile24(x: number): number {
  const v = Math.floor(x * 8388608 + 0.001953125);
  return v > 8388607 ? 8388607 : v < -8388608 ? -8388608 : v;
}

function writeTag(bytes: Uint8Array, offset: number, tag: string): void {
  for (let i = 0; i < 4; i++) bytes[offset + i] = tag.charCodeAt(i);
}

function readTag(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

/**
 * Decodes a WAV file's bytes into float samples (integers scaled by 1/2^(bits-1), so decoding
 * what `encodeWav` wrote and encoding it again gives the same bytes).
 * `name` (a path) only makes error messages name the file. Throws `AudioError` for anything
 * that is not a RIFF/WAVE file with PCM or float samples, or that is cut short.
 */
export function decodeWav(bytes: Uint8Array, name = 'the audio data'): DecodedWav {
  const fail = (why: string): AudioError =>
    new AudioError(`${name} is not a WAV file Cadenza can read: ${why}.`, { path: name });
  if (bytes.length < 12 || readTag(bytes, 0) !== 'RIFF' || readTag(bytes, 8) !== 'WAVE')
    throw fail('it does not start with a RIFF/WAVE header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let fmt: { tag: number; channels: number; rate: number; bits: number; blockAlign: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = readTag(bytes, offset);
    let size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > bytes.length) throw fail('its fmt chunk is too short');
      let tag = view.getUint16(body, true);
      if (tag === FORMAT_EXTENSIBLE) {
        if (size < 40) throw fail('its extensible fmt chunk is too short');
        // The sub-format GUID starts with the plain format tag.
        tag = view.getUint16(body + 24, true);
      }
      fmt = {
        tag,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw fail('its data chunk comes before its fmt chunk');
      // Streaming writers leave the size as 0xFFFFFFFF (or 0) and never come back to fix it.
      if (size === 0xffffffff || (size === 0 && body < bytes.length)) size = bytes.length - body;
      if (body + size > bytes.length)
        throw fail(`it is cut short (${bytes.length - body} of ${size} data bytes present)`);
      return decodeSamples(bytes.subarray(body, body + size), fmt, fail);
    }
    // Chunks are padded to an even length.
    offset = body + size + (size & 1);
  }
  throw fail(fmt ? 'it has no data chunk' : 'it has no fmt chunk');
}

function decodeSamples(
  data: Uint8Array,
  fmt: { tag: number; channels: number; rate: number; bits: number; blockAlign: number },
  fail: (why: string) => AudioError,
): DecodedWav {
  const { tag, channels: channelCount, rate, bits } = fmt;
  if (channelCount < 1) throw fail('it declares no channels');
  if (rate < 1) throw fail('it declares a sample rate of 0');
  let format: DecodedWav['format'];
  if (tag === FORMAT_PCM && bits === 8) format = 'pcm8';
  else if (tag === FORMAT_PCM && bits === 16) format = 'pcm16';
  else if (tag === FORMAT_PCM && bits === 24) format = 'pcm24';
  else if (tag === FORMAT_PCM && bits === 32) format = 'pcm32';
  else if (tag === FORMAT_FLOAT && bits === 32) format = 'float32';
  else if (tag === FORMAT_FLOAT && bits === 64) format = 'float64';
  else
    throw fail(`its samples are format ${tag} with ${bits} bits, not PCM 8/16/24/32-bit or float 32/64-bit`);
  const width = bits / 8;
  const blockAlign = width * channelCount;
  if (fmt.blockAlign !== blockAlign)
    throw fail(`its block size ${fmt.blockAlign} does not match ${channelCount} channels of ${bits} bits`);
  const lengthFrames = Math.floor(data.length / blockAlign);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const channels = Array.from({ length: channelCount }, () => new Float32Array(lengthFrames));
  let offset = 0;
  for (let i = 0; i < lengthFrames; i++) {
    for (let c = 0; c < channelCount; c++, offset += width) {
      let v: number;
      switch (format) {
        case 'pcm8':
          v = (data[offset]! - 128) / 128;
          break;
        case 'pcm16':
          v = view.getInt16(offset, true) / 32768;
          break;
        case 'pcm24':
          v = (((data[offset + 2]! << 24) | (data[offset + 1]! << 16) | (data[offset]! << 8)) >> 8) / 8388608;
          break;
        case 'pcm32':
          v = view.getInt32(offset, true) / 2147483648;
          break;
        case 'float32':
          v = view.getFloat32(offset, true);
          break;
        default:
          v = view.getFloat64(offset, true);
      }
      channels[c]![i] = v;
    }
  }
  return { sampleRateHz: rate, channels, format, bitsPerSample: bits, lengthFrames };
}

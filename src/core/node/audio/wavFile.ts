/** WAV files on disk: read into float samples, write atomically (temp file + rename), whole or as the audio arrives. */
import { promises as fs } from 'node:fs';
import {
  decodeWav,
  encodeWav,
  encodeWavFrames,
  wavHeader,
  type DecodedWav,
  type EncodeWavOptions,
  type PcmAudio,
  type WavSampleFormat,
} from '../../common/audio/wav';
import { AudioError } from '../../common/errors';
import type { Hertz } from '../../common/units';
import { ioError, openAtomicFile, writeFileAtomic, type AtomicFile } from '../fs/atomic';

/** Reads a WAV file; throws `IoError` when it cannot be read, `AudioError` when it is not a WAV Cadenza reads. */
export async function readWavFile(file: string): Promise<DecodedWav> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw ioError(error, file, 'read');
  }
  return decodeWav(bytes, file);
}

/**
 * Encodes `audio` and writes it to `file` atomically, so a failure never leaves half a WAV.
 * Returns the bytes written. Throws `IoError` naming the file when it cannot be written.
 */
export async function writeWavFile(
  file: string,
  audio: PcmAudio,
  format: WavSampleFormat,
  options: EncodeWavOptions = {},
): Promise<number> {
  const bytes = encodeWav(audio, format, options);
  await writeFileAtomic(file, bytes);
  return bytes.length;
}

/** How `WavFileWriter` stores its samples. */
export interface WavFileWriterOptions extends EncodeWavOptions {
  format: WavSampleFormat;
  /** Channels per frame (2 for stereo). */
  channelCount: number;
  sampleRateHz: Hertz;
}

/**
 * Writes a WAV file as its audio arrives, so a long render need not be held whole in memory:
 * samples are encoded piece by piece into a temporary file, the header is written last, and
 * `finish` renames the file into place. The bytes are exactly what `writeWavFile` writes for the
 * same audio. Throws `IoError` naming the file; a failed write removes the temporary file.
 */
export class WavFileWriter {
  private readonly file: AtomicFile;
  private readonly options: WavFileWriterOptions;
  private frames = 0;
  private scratch = new Uint8Array(0);

  private constructor(file: AtomicFile, options: WavFileWriterOptions) {
    this.file = file;
    this.options = options;
  }

  /** Opens `path` for writing; throws `AudioError` for a layout a WAV cannot hold, `IoError` when it cannot be created. */
  static async open(path: string, options: WavFileWriterOptions): Promise<WavFileWriter> {
    const header = wavHeader(options.format, options.channelCount, options.sampleRateHz, 0);
    const file = await openAtomicFile(path);
    // A placeholder until the length is known; rewritten by `finish`.
    await file.append(header);
    return new WavFileWriter(file, options);
  }

  /** Appends the next frames: one array per channel, all of the same length. */
  async write(channels: readonly Float32Array[]): Promise<void> {
    const { format, channelCount } = this.options;
    if (channels.length !== channelCount)
      throw new AudioError(`This WAV has ${channelCount} channels; ${channels.length} were given.`, {
        field: 'channels',
      });
    const frames = channels[0]?.length ?? 0;
    const size = frames * channelCount * (format === 'pcm16' ? 2 : format === 'pcm24' ? 3 : 4);
    // One buffer reused piece after piece: the render's pieces are all about the same size.
    if (this.scratch.length < size) this.scratch = new Uint8Array(size);
    await this.file.append(encodeWavFrames(channels, format, this.options, this.scratch));
    this.frames += frames;
  }

  /** Writes the header, flushes the file and moves it into place; returns its size in bytes. */
  async finish(): Promise<number> {
    const { format, channelCount, sampleRateHz } = this.options;
    const header = wavHeader(format, channelCount, sampleRateHz, this.frames);
    await this.file.writeAt(header, 0);
    await this.file.commit();
    return header.length + new DataView(header.buffer).getUint32(40, true);
  }

  /** Gives up: removes the temporary file, leaving the path as it was. */
  abort(): Promise<void> {
    return this.file.abort();
  }
}

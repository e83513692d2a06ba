/** WAV files on disk: read into float samples, write atomically (temp file + rename). */
import { promises as fs } from 'node:fs';
import {
  decodeWav,
  encodeWav,
  type DecodedWav,
  type EncodeWavOptions,
  type PcmAudio,
  type WavSampleFormat,
} from '../../common/audio/wav';
import { ioError, writeFileAtomic } from '../fs/atomic';

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

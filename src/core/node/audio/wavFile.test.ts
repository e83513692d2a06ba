import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioError, IoError } from '../../common/errors';
import { readWavFile, writeWavFile } from './wavFile';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-wavfile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readWavFile / writeWavFile', () => {
  it('writes atomically into a new folder and reads back the same samples', async () => {
    const file = path.join(dir, 'sub', 'tone.wav');
    const left = Float32Array.from({ length: 480 }, (_, i) => Math.sin(i / 10) * 0.5);
    const right = Float32Array.from(left, (x) => -x);
    const bytes = await writeWavFile(file, { sampleRateHz: 48000, channels: [left, right] }, 'float32');
    expect(bytes).toBe(44 + 480 * 8);
    const wav = await readWavFile(file);
    expect(wav.sampleRateHz).toBe(48000);
    expect(Array.from(wav.channels[1]!)).toEqual(Array.from(right));
    expect(await readdir(path.join(dir, 'sub'))).toEqual(['tone.wav']);
  });

  it('names the file when it is missing or not a WAV', async () => {
    const missing = path.join(dir, 'missing.wav');
    await expect(readWavFile(missing)).rejects.toThrow(
      new IoError(`Could not read ${missing}: it does not exist.`).message,
    );
    await expect(readWavFile(missing)).rejects.toBeInstanceOf(IoError);
    const text = path.join(dir, 'text.wav');
    await writeFile(text, 'not a wav');
    await expect(readWavFile(text)).rejects.toBeInstanceOf(AudioError);
    await expect(readWavFile(text)).rejects.toThrow(`${text} is not a WAV file Cadenza can read`);
  });
});

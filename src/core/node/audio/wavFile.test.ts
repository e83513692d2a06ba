import { promises as fs } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AudioError, IoError } from '../../common/errors';
import { readWavFile, WavFileWriter, writeWavFile } from './wavFile';

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

describe('WavFileWriter', () => {
  const left = Float32Array.from({ length: 3000 }, (_, i) => Math.sin(i / 9) * 0.7);
  const right = Float32Array.from(left, (x) => x / 3);
  const layout = { channelCount: 2, sampleRateHz: 44100, quantization: 'libsndfile' } as const;

  it('writes in pieces exactly the bytes writeWavFile writes whole, visible only once finished', async () => {
    for (const format of ['pcm16', 'pcm24', 'float32'] as const) {
      const whole = path.join(dir, `whole-${format}.wav`);
      await writeWavFile(whole, { sampleRateHz: 44100, channels: [left, right] }, format, {
        quantization: 'libsndfile',
      });
      const piecewise = path.join(dir, 'pieces', `pieces-${format}.wav`);
      const writer = await WavFileWriter.open(piecewise, { ...layout, format });
      for (const [a, b] of [
        [0, 64],
        [64, 2000],
        [2000, 3000],
      ])
        await writer.write([left.subarray(a, b), right.subarray(a, b)]);
      expect(
        (await readdir(path.join(dir, 'pieces'))).filter((f) => f.startsWith(`pieces-${format}`)),
      ).toEqual([]);
      expect(await writer.finish()).toBe((await readFile(whole)).length);
      expect((await readFile(piecewise)).equals(await readFile(whole))).toBe(true);
    }
    expect((await readdir(path.join(dir, 'pieces'))).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('leaves nothing behind when aborted, or when a write fails as on a full disk', async () => {
    const out = path.join(dir, 'failing');
    const aborted = await WavFileWriter.open(path.join(out, 'aborted.wav'), { ...layout, format: 'pcm16' });
    await aborted.write([left, right]);
    await aborted.abort();
    const realOpen = fs.open.bind(fs);
    const spy = vi.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      handle.write = (() =>
        Promise.reject(
          Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
        )) as typeof handle.write;
      return handle;
    });
    const file = path.join(out, 'full.wav');
    await expect(
      (async () => {
        const writer = await WavFileWriter.open(file, { ...layout, format: 'pcm16' });
        await writer.write([left, right]);
      })(),
    ).rejects.toThrow(`Could not write ${file}: the disk is full.`);
    spy.mockRestore();
    expect(await readdir(out)).toEqual([]);
  });
});

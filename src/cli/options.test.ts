import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/common/errors';
import { createRenderer } from '../core/node/render/render';
import { engineOption, formatOption, numberOption, sampleRateOption } from './options';
import { runCli } from './testing';

describe('flag parsers', () => {
  it('accept what core accepts, other names of a format and any case included', () => {
    expect(engineOption('WASM')).toBe('wasm');
    expect(sampleRateOption('48000')).toBe(48000);
    expect(formatOption('s24')).toBe('pcm24');
    expect(formatOption('Float')).toBe('float32');
    expect(numberOption('--count', '3', { min: 1, integer: true })).toBe(3);
    expect(numberOption('--count', undefined)).toBeUndefined();
  });

  it('refuse with one sentence naming the flag', () => {
    expect(() => engineOption('gpu')).toThrow(UsageError);
    expect(() => engineOption('gpu')).toThrow('--engine must be one of auto, native, wasm, not "gpu".');
    expect(() => sampleRateOption('22050')).toThrow('--sample-rate must be one of 44100, 48000, not "22050".');
    expect(() => formatOption('mp3')).toThrow('--format must be one of pcm16, pcm24, float32, not "mp3".');
    expect(() => numberOption('--count', 'many', { min: 1, integer: true })).toThrow(
      '--count must be a whole number of at least 1, not "many".',
    );
  });

  it('word a bad render setting as core does for the same value', async () => {
    await expect(createRenderer({ sampleRateHz: 22050 })).rejects.toThrow(
      'sampleRateHz must be one of 44100, 48000, not "22050".',
    );
  });

  it('give synthesize and refine the same sentence for the same bad flag', async () => {
    const out = path.join(os.tmpdir(), 'cadenza-options-never');
    for (const [flag, value] of [
      ['--engine', 'gpu'],
      ['--format', 'mp3'],
      ['--sample-rate', '22050'],
    ] as const) {
      const synth = await runCli('synthesize', '--midi_path', 'x.mid', '--output_path', out, flag, value);
      const refine = await runCli('refine', '--midi_path', 'x.mid', '--output_path', out, flag, value);
      expect([synth.code, refine.code]).toEqual([2, 2]);
      expect(refine.err).toBe(synth.err);
      expect(synth.err).toContain(`${flag} must be one of`);
    }
  });
});

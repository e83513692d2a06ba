import { describe, expect, it } from 'vitest';
import { master } from './master';
import { measureLoudness } from './loudness';
import { measureLevels } from './levels';
import { Rng } from '../random';

/** A piano-like test signal: decaying tones with sharp attacks, some DC, at a given level. */
function testSignal(seconds: number, level: number, dc = 0.02, rate = 44100): Float32Array[] {
  const n = Math.round(seconds * rate);
  const rng = new Rng(5);
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  for (let start = 0; start < n; start += Math.round(rate * 0.25)) {
    const f = 110 * 2 ** (rng.int(36) / 12);
    for (let i = start; i < n; i++) {
      const t = (i - start) / rate;
      const v = level * Math.exp(-3 * t) * Math.sin(2 * Math.PI * f * t);
      left[i]! += v;
      right[i]! += 0.8 * v;
    }
  }
  for (let i = 0; i < n; i++) {
    left[i]! += dc;
    right[i]! += dc;
  }
  return [left, right];
}

describe('master', () => {
  it('reaches the loudness target within 0.5 LU with the true peak under the ceiling and no clipping', () => {
    for (const level of [0.02, 0.3, 0.9]) {
      const input = { sampleRateHz: 44100, channels: testSignal(6, level) };
      const { audio, report } = master(input, { targetLufs: -16, ceilingDbtp: -1 });
      const m = measureLoudness(audio.channels, 44100);
      expect(Math.abs(m.integratedLufs - -16)).toBeLessThan(0.5);
      expect(m.truePeakDbtp).toBeLessThanOrEqual(-1 + 1e-6);
      expect(measureLevels(audio.channels).clippedSamples).toBe(0);
      expect(report.outputLufs).toBeCloseTo(m.integratedLufs, 6);
      expect(report.dcOffsets[0]).toBeGreaterThan(0.01);
    }
  });

  it('removes DC, fades the ends, and leaves the input untouched', () => {
    const channels = testSignal(3, 0.2, 0.1);
    const copy = Float32Array.from(channels[0]!);
    const { audio } = master({ sampleRateHz: 44100, channels });
    expect(channels[0]).toEqual(copy);
    const mean = audio.channels[0]!.reduce((s, v) => s + v, 0) / audio.channels[0]!.length;
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(Math.abs(audio.channels[0]![0]!)).toBe(0);
    expect(Math.abs(audio.channels[0]![audio.channels[0]!.length - 1]!)).toBe(0);
  });

  it('keeps the defaults for options given as undefined', () => {
    const { report } = master({ sampleRateHz: 44100, channels: testSignal(3, 0.2) }, { targetLufs: undefined, ceilingDbtp: undefined });
    expect(report.outputLufs).toBeCloseTo(-16, 0);
  });

  it('returns silence unchanged in level', () => {
    const { audio, report } = master({ sampleRateHz: 48000, channels: [new Float32Array(48000), new Float32Array(48000)] });
    expect(report.outputLufs).toBe(-Infinity);
    expect(measureLevels(audio.channels).peak).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { amplitudeToDbfs, LevelMeter, measureLevels, rmsEnvelope } from './levels';

describe('measureLevels', () => {
  it('finds the peak over channels, the RMS of a sine and counts clipped samples', () => {
    const n = 48000;
    const sine = new Float32Array(n);
    for (let i = 0; i < n; i++) sine[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 48000);
    const other = new Float32Array(n);
    other[10] = -1.25;
    other[11] = 1;
    other[12] = 0.999;
    const levels = measureLevels([sine, other]);
    expect(levels.peak).toBeCloseTo(1.25, 6);
    expect(levels.peakDbfs).toBeCloseTo(20 * Math.log10(1.25), 6);
    expect(levels.clippedSamples).toBe(2);
    const sineOnly = measureLevels([sine]);
    expect(sineOnly.rms).toBeCloseTo(0.5 / Math.SQRT2, 4);
    expect(sineOnly.rmsDbfs).toBeCloseTo(-9.03, 2);
    expect(sineOnly.clippedSamples).toBe(0);
  });

  it('reports silence as -Infinity dBFS', () => {
    const levels = measureLevels([new Float32Array(100)]);
    expect(levels.peak).toBe(0);
    expect(levels.peakDbfs).toBe(-Infinity);
    expect(levels.rmsDbfs).toBe(-Infinity);
    expect(measureLevels([]).rms).toBe(0);
    expect(amplitudeToDbfs(1)).toBe(0);
  });
});

describe('LevelMeter', () => {
  it('measures audio added in pieces as measureLevels measures it whole', () => {
    const left = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i / 7) * 0.8);
    const right = Float32Array.from({ length: 5000 }, (_, i) => (i === 4321 ? -1.2 : Math.cos(i / 5) * 0.3));
    const meter = new LevelMeter();
    for (const [a, b] of [
      [0, 64],
      [64, 3000],
      [3000, 5000],
    ])
      meter.add([left.subarray(a, b), right.subarray(a, b)]);
    const whole = measureLevels([left, right]);
    const pieces = meter.levels();
    expect(pieces.peak).toBe(whole.peak);
    expect(pieces.clippedSamples).toBe(1);
    expect(pieces.rms).toBeCloseTo(whole.rms, 12);
    expect(new LevelMeter().levels()).toMatchObject({ peak: 0, rms: 0, clippedSamples: 0 });
  });
});

describe('rmsEnvelope', () => {
  it('gives one RMS per frame, counting a shorter channel’s missing samples as silence', () => {
    const left = new Float32Array([1, 1, 0, 0, 0.5]);
    const right = new Float32Array([1, 1, 0]);
    const env = rmsEnvelope([left, right], 2);
    expect(Array.from(env)).toEqual([1, 0, Math.fround(Math.sqrt(0.25 / 4))]);
    expect(() => rmsEnvelope([left], 0)).toThrow(RangeError);
  });
});

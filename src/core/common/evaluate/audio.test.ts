import { describe, expect, it } from 'vitest';
import { measureAudio } from './audio';

describe('measureAudio', () => {
  it('measures a stereo 1 kHz sine at -23 dBFS after 2 s of silence, with 10 clipped samples', () => {
    const rate = 48000;
    const a = Math.pow(10, -23 / 20);
    const x = new Float32Array(rate * 11);
    for (let i = 2 * rate; i < x.length; i++) x[i] = a * Math.sin((2 * Math.PI * 1000 * i) / rate);
    const left = x;
    const right = x.slice();
    for (let i = 0; i < 10; i++) right[rate * 5 + i * 100] = 1.2;
    const m = measureAudio({ sampleRateHz: rate, channels: [left, right] }, 16);
    expect(m.durationSeconds).toBe(11);
    expect(m.integratedLufs).toBeCloseTo(-23, 0);
    expect(m.clippedSamples).toBe(10);
    expect(m.clippedShare).toBeCloseTo(10 / (2 * 11 * rate), 12);
    expect(m.samplePeakDbfs).toBeCloseTo(20 * Math.log10(1.2), 4);
    // The silent 2 s (more than the quietest 10%) are digital silence: the floor is 16-bit quantization noise.
    expect(m.noiseFloorIsQuantization).toBe(true);
    expect(m.snrDb).toBeGreaterThan(60);
  });
});

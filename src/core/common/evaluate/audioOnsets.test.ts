import { describe, expect, it } from 'vitest';
import { fft, onsetEnvelopeFromAudio } from './audioOnsets';
import { tempoConsistency } from './tempo';

describe('fft', () => {
  it('puts a cosine of 2 cycles in bins 2 and N−2 with amplitude N/2', () => {
    const n = 16;
    const re = Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * 2 * i) / n));
    const im = new Float64Array(n);
    fft(re, im);
    expect(re[2]).toBeCloseTo(n / 2, 10);
    expect(re[n - 2]).toBeCloseTo(n / 2, 10);
    expect(Math.hypot(re[3]!, im[3]!)).toBeCloseTo(0, 10);
  });
});

describe('onsetEnvelopeFromAudio', () => {
  it('hears 120 BPM in decaying clicks every 0.5 s, steady throughout', () => {
    const rate = 22050;
    const x = new Float32Array(rate * 20);
    for (let t = 0; t < 20; t += 0.5) {
      const start = Math.round(t * rate);
      // A 30 ms decaying 880 Hz tone burst.
      for (let i = 0; i < 0.03 * rate; i++)
        x[start + i] = Math.exp(-i / (0.01 * rate)) * Math.sin((2 * Math.PI * 880 * i) / rate);
    }
    const { envelope, frameRateHz } = onsetEnvelopeFromAudio([x], rate);
    expect(frameRateHz).toBeGreaterThan(95);
    expect(frameRateHz).toBeLessThan(105);
    const t = tempoConsistency(envelope, frameRateHz);
    expect(t.medianBpm).toBeGreaterThan(118);
    expect(t.medianBpm).toBeLessThan(122);
    expect(t.consistency).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { AudioError } from '../errors';
import {
  integratedLoudness,
  kWeightingCoefficients,
  loudnessNormalizationGainDb,
  measureLoudness,
  truePeak,
} from './loudness';

/** A sine of `dbfs` peak level, as EBU Tech 3341 specifies its test signals. */
function sine(freqHz: number, dbfs: number, seconds: number, rateHz: number, phase = 0): Float32Array {
  const a = Math.pow(10, dbfs / 20);
  const out = new Float32Array(Math.round(seconds * rateHz));
  for (let i = 0; i < out.length; i++) out[i] = a * Math.sin((2 * Math.PI * freqHz * i) / rateHz + phase);
  return out;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const stereo = (x: Float32Array): Float32Array[] => [x, x.slice()];

describe('kWeightingCoefficients', () => {
  it('reproduces the 48 kHz table of BS.1770-4', () => {
    const [shelf, hp] = kWeightingCoefficients(48000);
    expect(shelf.b0).toBeCloseTo(1.53512485958697, 10);
    expect(shelf.b1).toBeCloseTo(-2.69169618940638, 10);
    expect(shelf.b2).toBeCloseTo(1.19839281085285, 10);
    expect(shelf.a1).toBeCloseTo(-1.69065929318241, 10);
    expect(shelf.a2).toBeCloseTo(0.73248077421585, 10);
    expect([hp.b0, hp.b1, hp.b2]).toEqual([1, -2, 1]);
    expect(hp.a1).toBeCloseTo(-1.99004745483398, 10);
    expect(hp.a2).toBeCloseTo(0.99007225036621, 10);
  });

  it('refuses a nonsense sample rate with AudioError', () => {
    expect(() => kWeightingCoefficients(0)).toThrow(AudioError);
  });
});

describe('integratedLoudness (EBU Tech 3341 cases)', () => {
  it('case 1: a stereo 1 kHz sine at -23 dBFS measures -23.0 LUFS', () => {
    expect(integratedLoudness(stereo(sine(1000, -23, 20, 48000)), 48000)).toBeCloseTo(-23, 1);
  });

  it('case 2: -33 dBFS measures -33.0 LUFS, and 44.1 kHz gives the same', () => {
    expect(integratedLoudness(stereo(sine(1000, -33, 20, 48000)), 48000)).toBeCloseTo(-33, 1);
    expect(integratedLoudness(stereo(sine(1000, -23, 20, 44100)), 44100)).toBeCloseTo(-23, 1);
  });

  it('case 3: the relative gate ignores 10 s at -36 dBFS around 60 s at -23 dBFS', () => {
    const x = concat(sine(1000, -36, 10, 48000), sine(1000, -23, 60, 48000), sine(1000, -36, 10, 48000));
    expect(integratedLoudness(stereo(x), 48000)).toBeCloseTo(-23, 1);
  });

  it('case 4: the absolute gate ignores -72 dBFS, the relative gate -36 dBFS', () => {
    const x = concat(
      sine(1000, -72, 10, 48000),
      sine(1000, -36, 10, 48000),
      sine(1000, -23, 60, 48000),
      sine(1000, -36, 10, 48000),
      sine(1000, -72, 10, 48000),
    );
    expect(integratedLoudness(stereo(x), 48000)).toBeCloseTo(-23, 1);
  });

  it('weighs a mono signal as one channel: 3 dB below the same signal in stereo', () => {
    const x = sine(1000, -20, 5, 48000);
    expect(integratedLoudness([x], 48000)).toBeCloseTo(-23.01, 1);
  });

  it('gives -Infinity for silence and for audio shorter than one 400 ms block', () => {
    expect(integratedLoudness(stereo(new Float32Array(48000)), 48000)).toBe(-Infinity);
    expect(integratedLoudness(stereo(sine(1000, -10, 0.3, 48000)), 48000)).toBe(-Infinity);
  });

  it('refuses channels of unequal length with an AudioError that says so', () => {
    expect(() => integratedLoudness([new Float32Array(10), new Float32Array(11)], 48000)).toThrow(
      /differ in length/,
    );
  });
});

describe('measureLoudness', () => {
  it('EBU Tech 3342 case 1: 20 s at -20 dBFS then 20 s at -30 dBFS has a loudness range of 10 LU', () => {
    const x = concat(sine(1000, -20, 20, 48000), sine(1000, -30, 20, 48000));
    const m = measureLoudness(stereo(x), 48000, { truePeak: false });
    expect(m.loudnessRangeLu).toBeGreaterThan(9);
    expect(m.loudnessRangeLu).toBeLessThan(11);
    expect(m.momentaryMaxLufs).toBeCloseTo(-20, 1);
    expect(m.shortTermMaxLufs).toBeCloseTo(-20, 1);
  });

  it('reports the sample peak in dBFS', () => {
    const m = measureLoudness(stereo(sine(1000, -6, 1, 48000)), 48000);
    expect(m.samplePeakDbfs).toBeCloseTo(-6, 2);
    expect(m.truePeakDbtp).toBeGreaterThanOrEqual(m.samplePeakDbfs);
    expect(m.truePeakDbtp).toBeLessThan(-5.8);
  });
});

describe('truePeak', () => {
  it('finds the peak between samples of a quarter-rate sine sampled at 45 degrees (+3 dB over the sample peak)', () => {
    // Every sample sits at ±A/√2, the waveform reaches A between them.
    const x = sine(12000, -6, 1, 48000, Math.PI / 4);
    let samplePeak = 0;
    for (const v of x) samplePeak = Math.max(samplePeak, Math.abs(v));
    expect(20 * Math.log10(samplePeak)).toBeCloseTo(-9.03, 1);
    const tp = 20 * Math.log10(truePeak([x], 48000));
    // EBU Tech 3341 allows +0.2 / -0.4 dB for true-peak meters.
    expect(tp).toBeGreaterThan(-6.4);
    expect(tp).toBeLessThan(-5.8);
  });

  it('is 0 for digital silence', () => {
    expect(truePeak([new Float32Array(100)], 48000)).toBe(0);
  });
});

describe('loudnessNormalizationGainDb', () => {
  it('takes the gain to the target unless the true-peak ceiling is nearer', () => {
    expect(loudnessNormalizationGainDb({ integratedLufs: -30, truePeakDbtp: -12 }, -23, -1)).toBeCloseTo(
      7,
      10,
    );
    expect(loudnessNormalizationGainDb({ integratedLufs: -30, truePeakDbtp: -3 }, -23, -1)).toBeCloseTo(
      2,
      10,
    );
    expect(loudnessNormalizationGainDb({ integratedLufs: -Infinity, truePeakDbtp: -Infinity })).toBe(0);
  });
});

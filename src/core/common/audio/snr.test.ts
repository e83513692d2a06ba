import { describe, expect, it } from 'vitest';
import { AudioError } from '../errors';
import { noiseFloorSnr, snrAgainstReferenceDb } from './snr';

const RATE = 48000;

function sine(amplitude: number, seconds: number, freqHz = 1000): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freqHz * i) / RATE);
  return out;
}

/** ±a alternating every sample: a deterministic "noise" of power exactly a². */
function alternating(a: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) out[i] = i % 2 ? -a : a;
  return out;
}

describe('snrAgainstReferenceDb', () => {
  it('is signal power over error power: a unit sine with ±0.01 error gives 10·log10(0.5 / 1e-4) dB', () => {
    const r = sine(1, 1);
    const e = alternating(0.01, 1);
    const s = r.map((v, i) => v + e[i]!);
    // Float32 storage of s rounds the error slightly, hence 2 decimals.
    expect(snrAgainstReferenceDb([s], [r])).toBeCloseTo(10 * Math.log10(0.5 / 1e-4), 2);
  });

  it('counts a level change as noise unless matchGain is set', () => {
    const r = sine(1, 0.5);
    const s = r.map((v) => v * 0.5);
    expect(snrAgainstReferenceDb([s], [r])).toBeCloseTo(10 * Math.log10(1 / 0.25), 6);
    expect(snrAgainstReferenceDb([s], [r], { matchGain: true })).toBeGreaterThan(100);
  });

  it('is +Infinity for identical audio and -Infinity for a silent reference', () => {
    const r = sine(0.3, 0.1);
    expect(snrAgainstReferenceDb([r, r], [r, r])).toBe(Infinity);
    expect(snrAgainstReferenceDb([r], [new Float32Array(r.length)])).toBe(-Infinity);
  });

  it('refuses audio of different shapes with an AudioError', () => {
    expect(() => snrAgainstReferenceDb([new Float32Array(3)], [new Float32Array(4)])).toThrow(AudioError);
    expect(() =>
      snrAgainstReferenceDb([new Float32Array(3)], [new Float32Array(3), new Float32Array(3)]),
    ).toThrow(/2/);
  });
});

describe('noiseFloorSnr', () => {
  it('takes the quietest blocks as the noise floor: 1 s of ±0.001 noise, then a 0.5 sine over the same noise', () => {
    const noise = alternating(0.001, 2);
    const x = new Float32Array(noise.length);
    const tone = sine(0.5, 1);
    for (let i = 0; i < x.length; i++) x[i] = noise[i]! + (i >= RATE ? tone[i - RATE]! : 0);
    const m = noiseFloorSnr([x], RATE, { bitsPerSample: 24 });
    // 40 blocks of 50 ms: the 4 quietest are pure noise (1e-6); of the other 36, 20 hold the tone (0.125 + 1e-6).
    const pn = 1e-6;
    const ps = (16 * pn + 20 * (0.125 + pn)) / 36;
    expect(m.flooredAtQuantization).toBe(false);
    expect(m.noiseFloorDbfs).toBeCloseTo(-60, 2);
    expect(m.snrDb).toBeCloseTo(10 * Math.log10((ps - pn) / pn), 2);
  });

  it('floors digital silence at the quantization noise of the format', () => {
    const x = new Float32Array(2 * RATE);
    x.set(sine(1, 1), RATE);
    const m = noiseFloorSnr([x], RATE, { bitsPerSample: 16 });
    const q = Math.pow(2, -15);
    expect(m.flooredAtQuantization).toBe(true);
    expect(m.noiseFloorDbfs).toBeCloseTo(10 * Math.log10((q * q) / 12), 6);
  });

  it('refuses audio shorter than two blocks', () => {
    expect(() => noiseFloorSnr([new Float32Array(100)], RATE)).toThrow(/too short/);
  });
});

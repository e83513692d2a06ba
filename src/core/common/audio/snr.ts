/**
 * Signal-to-noise ratios a user can reproduce with a few lines of numpy (see docs/METRICS.md):
 * against a reference render (the error is the noise), or against the noise floor measured in
 * the quietest blocks of the audio itself (floored at the quantization noise of its format).
 */
import { AudioError } from '../errors';
import type { Decibels, Hertz } from '../units';

/** Options for `snrAgainstReferenceDb`. */
export interface ReferenceSnrOptions {
  /** Scale the signal by the least-squares gain onto the reference first, so a level change is not counted as noise. */
  matchGain?: boolean;
}

function sameShape(a: readonly Float32Array[], b: readonly Float32Array[]): void {
  if (a.length === 0) throw new AudioError('The audio has no channels to compare.', { field: 'channels' });
  if (a.length !== b.length)
    throw new AudioError(
      `The signal has ${a.length} channels but the reference has ${b.length}, so they cannot be compared.`,
      {
        field: 'channels',
      },
    );
  for (let c = 0; c < a.length; c++)
    if (a[c]!.length !== b[c]!.length)
      throw new AudioError(
        `Channel ${c + 1} of the signal has ${a[c]!.length} frames but the reference has ${b[c]!.length}, so they cannot be compared.`,
        { field: 'channels' },
      );
}

/**
 * SNR of `signal` against `reference` in dB: 10·log10(Σ r² / Σ (g·s − r)²) over every sample of
 * every channel, with g = 1 (or the least-squares gain with `matchGain`). +Infinity when they are
 * identical; -Infinity when the reference is silent. Typical use: a 16-bit WAV against the float render.
 */
export function snrAgainstReferenceDb(
  signal: readonly Float32Array[],
  reference: readonly Float32Array[],
  options: ReferenceSnrOptions = {},
): Decibels {
  sameShape(signal, reference);
  let rr = 0;
  let ss = 0;
  let sr = 0;
  for (let c = 0; c < signal.length; c++) {
    const s = signal[c]!;
    const r = reference[c]!;
    for (let i = 0; i < s.length; i++) {
      rr += r[i]! * r[i]!;
      ss += s[i]! * s[i]!;
      sr += s[i]! * r[i]!;
    }
  }
  const g = options.matchGain && ss > 0 ? sr / ss : 1;
  // Σ (g·s − r)² expanded, so one pass suffices; clamp the rounding error of near-identical signals.
  const noise = Math.max(0, g * g * ss - 2 * g * sr + rr);
  if (rr === 0) return -Infinity;
  if (noise === 0) return Infinity;
  return 10 * Math.log10(rr / noise);
}

/** Options for `noiseFloorSnr`. */
export interface NoiseFloorSnrOptions {
  /** Length of the blocks whose power is measured, in seconds (default 0.05). */
  blockSeconds?: number;
  /** The quietest fraction of blocks taken as the noise floor (default 0.1). */
  quietFraction?: number;
  /** Bits per sample of the stored audio (16, 24; 32 for float), for the quantization floor (default 16). */
  bitsPerSample?: number;
}

/** What `noiseFloorSnr` measured. */
export interface NoiseFloorSnr {
  /** 10·log10((P_signal − P_noise) / P_noise), in dB; +Infinity is never returned (the floor is at least quantization noise). */
  snrDb: Decibels;
  /** Mean power of the quietest blocks, in dBFS (a full-scale sine is -3 dBFS). */
  noiseFloorDbfs: Decibels;
  /** Mean power of the other blocks, in dBFS. */
  signalPowerDbfs: Decibels;
  /** True when the quiet blocks were quieter than quantization noise (e.g. digital silence), so that floor was used. */
  flooredAtQuantization: boolean;
}

/**
 * SNR against the noise floor measured in the audio itself: the audio is cut into blocks, the
 * quietest `quietFraction` of them give the noise power P_n (never below the quantization noise
 * q²/12 of a `bitsPerSample` format, q = 2^(1−bits)), the rest give P_s, and
 * SNR = 10·log10((P_s − P_n) / P_n). Throws `AudioError` for audio shorter than two blocks.
 */
export function noiseFloorSnr(
  channels: readonly Float32Array[],
  sampleRateHz: Hertz,
  options: NoiseFloorSnrOptions = {},
): NoiseFloorSnr {
  if (channels.length === 0)
    throw new AudioError('The audio has no channels to measure.', { field: 'channels' });
  const blockSeconds = options.blockSeconds ?? 0.05;
  const quietFraction = options.quietFraction ?? 0.1;
  const bits = options.bitsPerSample ?? 16;
  const blockFrames = Math.max(1, Math.round(blockSeconds * sampleRateHz));
  const length = Math.min(...channels.map((c) => c.length));
  const blocks = Math.floor(length / blockFrames);
  if (blocks < 2)
    throw new AudioError(
      `The audio is too short (${length} frames) to measure a noise floor; it needs at least two ${blockSeconds} s blocks.`,
      { field: 'channels' },
    );
  const powers = new Float64Array(blocks);
  for (const x of channels)
    for (let b = 0; b < blocks; b++) {
      let sum = 0;
      for (let i = b * blockFrames; i < (b + 1) * blockFrames; i++) sum += x[i]! * x[i]!;
      powers[b]! += sum / (blockFrames * channels.length);
    }
  const sorted = Float64Array.from(powers).sort();
  const quietCount = Math.min(blocks - 1, Math.max(1, Math.round(quietFraction * blocks)));
  let noise = 0;
  for (let i = 0; i < quietCount; i++) noise += sorted[i]!;
  noise /= quietCount;
  let signal = 0;
  for (let i = quietCount; i < blocks; i++) signal += sorted[i]!;
  signal /= blocks - quietCount;
  const q = Math.pow(2, 1 - bits);
  const quantization = (q * q) / 12;
  const floored = noise < quantization;
  if (floored) noise = quantization;
  const dB = (p: number): Decibels => (p > 0 ? 10 * Math.log10(p) : -Infinity);
  return {
    snrDb: dB(Math.max(0, signal - noise) / noise),
    noiseFloorDbfs: dB(noise),
    signalPowerDbfs: dB(signal),
    flooredAtQuantization: floored,
  };
}

/**
 * Sample-level measures of audio: peak, RMS and clipping. Pure, so the renderer's sidecars,
 * evaluation and refinement all measure the same way.
 */
import type { Decibels } from '../units';

/** Peak, RMS and clipping of a block of audio, over all channels together. */
export interface AudioLevels {
  /** Largest absolute sample value (1 = full scale). */
  peak: number;
  /** The peak in dBFS (0 at full scale; -Infinity for silence). */
  peakDbfs: Decibels;
  /** Root mean square over every sample of every channel. */
  rms: number;
  /** The RMS in dBFS (-Infinity for silence). */
  rmsDbfs: Decibels;
  /** Samples (counted per channel) at or beyond full scale, which a fixed-point file cannot hold. */
  clippedSamples: number;
}

/** Converts a linear amplitude (1 = full scale) to dBFS; 0 gives -Infinity. */
export function amplitudeToDbfs(amplitude: number): Decibels {
  return 20 * Math.log10(amplitude);
}

/** Measures peak, RMS and clipped samples of float audio (channels of equal or unequal length). */
export function measureLevels(channels: readonly Float32Array[]): AudioLevels {
  const meter = new LevelMeter();
  meter.add(channels);
  return meter.levels();
}

/** Peak, RMS and clipping of audio that arrives in pieces: `add` each piece, read `levels()` at the end. */
export class LevelMeter {
  /** Peak, sum of squares, sample count and clipped samples so far (see `accumulate`). */
  private readonly sums = new Float64Array(4);

  /** Takes in the next piece of audio (any number of channels); measures as if all pieces were one. */
  add(channels: readonly Float32Array[]): void {
    for (let c = 0; c < channels.length; c++) accumulate(this.sums, channels[c]!);
  }

  /** The levels of everything added so far. */
  levels(): AudioLevels {
    const peak = this.sums[0]!;
    const count = this.sums[2]!;
    const clippedSamples = this.sums[3]!;
    const rms = count === 0 ? 0 : Math.sqrt(this.sums[1]! / count);
    return { peak, peakDbfs: amplitudeToDbfs(peak), rms, rmsDbfs: amplitudeToDbfs(rms), clippedSamples };
  }
}

/**
 * Adds one channel's samples to `sums`: [peak, sum of squares in sample order, count, clipped].
 * A function of its own over typed arrays only: V8 optimizes its loop at once and keeps it, where
 * the same loop inside `add`, over an object whose fields change from integers to doubles, was
 * deoptimized and recompiled again and again (about 3x the time per sample in a render).
 */
function accumulate(sums: Float64Array, samples: Float32Array): void {
  let peak = sums[0]!;
  let sumSquares = sums[1]!;
  let clipped = sums[3]!;
  const n = samples.length;
  for (let i = 0; i < n; i++) {
    const v = samples[i]!;
    const a = Math.abs(v);
    if (a > peak) peak = a;
    if (a >= 1) clipped++;
    sumSquares += v * v;
  }
  sums[0] = peak;
  sums[1] = sumSquares;
  sums[2] = sums[2]! + n;
  sums[3] = clipped;
}
// Run once on one sample at load, so the stores after the loop have type feedback before a long
// first call is compiled mid-loop (on-stack replacement); without it V8 kept entering a
// mid-loop compilation that bailed out at those stores at the end of every call.
accumulate(new Float64Array(4), new Float32Array(1));

/**
 * RMS of each consecutive frame of `frameLength` samples, averaged over channels (the last,
 * partial frame included); used to compare the loudness envelopes of two renders.
 */
export function rmsEnvelope(channels: readonly Float32Array[], frameLength: number): Float32Array {
  if (!Number.isInteger(frameLength) || frameLength < 1)
    throw new RangeError(`frameLength must be a whole number of at least 1, not ${frameLength}.`);
  const length = Math.max(0, ...channels.map((c) => c.length));
  const frames = Math.ceil(length / frameLength);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    const start = f * frameLength;
    let sum = 0;
    let n = 0;
    for (const channel of channels) {
      const end = Math.min(channel.length, start + frameLength);
      for (let i = start; i < end; i++) sum += channel[i]! * channel[i]!;
      // Missing samples of a shorter channel count as silence, so envelopes of unequal renders stay comparable.
      n += frameLength;
    }
    out[f] = n === 0 ? 0 : Math.sqrt(sum / n);
  }
  return out;
}

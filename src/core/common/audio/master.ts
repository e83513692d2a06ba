/**
 * Mastering for refined audio: DC removal, loudness normalisation to a target (EBU R128
 * integrated loudness), a look-ahead true-peak limiter, and short fades. Pure TypeScript on
 * float channels; measured with the same BS.1770 code that evaluation uses.
 */
import type { PcmAudio } from './wav';
import { measureLoudness, truePeak } from './loudness';
import type { Decibels, Lufs, Seconds } from '../units';

/** How to master. */
export interface MasterOptions {
  /** Integrated loudness to reach, in LUFS (streaming services use about -14 to -16). */
  targetLufs?: Lufs;
  /** Highest true peak allowed, in dBTP. */
  ceilingDbtp?: Decibels;
  /** Fade-in length in seconds (removes a click at the start). */
  fadeInSeconds?: Seconds;
  /** Fade-out length in seconds (ends the release tail smoothly). */
  fadeOutSeconds?: Seconds;
  /** How far ahead the limiter looks, in seconds: its gain ramps down over this time before a peak. */
  lookaheadSeconds?: Seconds;
  /** How fast the limiter lets go, in seconds for 6 dB of recovery. */
  releaseSeconds?: Seconds;
}

/** What mastering did. */
export interface MasterReport {
  /** Integrated loudness before, in LUFS. */
  inputLufs: Lufs;
  /** Integrated loudness after, in LUFS. */
  outputLufs: Lufs;
  /** True peak before, in dBTP. */
  inputTruePeakDbtp: Decibels;
  /** True peak after, in dBTP. */
  outputTruePeakDbtp: Decibels;
  /** Gain applied before the limiter, in dB. */
  gainDb: Decibels;
  /** The deepest gain reduction of the limiter, in dB (0 = it never acted). */
  limiterMaxReductionDb: Decibels;
  /** The DC offset removed from each channel (its mean before mastering, full scale = 1). */
  dcOffsets: number[];
}

/** Integrated loudness mastering aims at when none is asked for (EBU R128 streaming level). */
export const DEFAULT_TARGET_LUFS: Lufs = -16;
/** True-peak ceiling of the limiter when none is asked for. */
export const DEFAULT_CEILING_DBTP: Decibels = -1;

const DEFAULTS: Required<MasterOptions> = {
  targetLufs: DEFAULT_TARGET_LUFS,
  ceilingDbtp: DEFAULT_CEILING_DBTP,
  fadeInSeconds: 0.005,
  fadeOutSeconds: 0.05,
  lookaheadSeconds: 0.005,
  releaseSeconds: 0.08,
};

const dbToGain = (db: number): number => 10 ** (db / 20);
const gainToDb = (g: number): number => 20 * Math.log10(g);

/** Removes DC with a one-pole high-pass (about 5 Hz), which also removes slow drift; returns each channel's mean. */
function removeDc(channels: Float32Array[], sampleRateHz: number): number[] {
  const r = 1 - (2 * Math.PI * 5) / sampleRateHz;
  return channels.map((x) => {
    let mean = 0;
    for (let i = 0; i < x.length; i++) mean += x[i]!;
    mean = x.length ? mean / x.length : 0;
    // Subtract the mean first so the filter starts settled, then high-pass.
    let prevIn = 0;
    let prevOut = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]! - mean;
      const y = v - prevIn + r * prevOut;
      prevIn = v;
      prevOut = y;
      x[i] = y;
    }
    return mean;
  });
}

/**
 * Limits the sample peak to `ceiling` (linear) with a gain curve that ramps down linearly over
 * the look-ahead before each peak and recovers at the release rate; both passes keep the gain at
 * or below what each sample needs, so no sample passes the ceiling. Returns the smallest gain.
 */
function limit(channels: Float32Array[], ceiling: number, lookaheadFrames: number, releasePerFrame: number): number {
  const n = channels[0]?.length ?? 0;
  const gain = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let peak = 0;
    for (const x of channels) peak = Math.max(peak, Math.abs(x[i]!));
    gain[i] = peak > ceiling ? ceiling / peak : 1;
  }
  const attackPerFrame = 1 / Math.max(1, lookaheadFrames);
  // Backward: the gain may rise at most attackPerFrame per frame going back from a peak (a ramp down before it).
  for (let i = n - 2; i >= 0; i--) gain[i] = Math.min(gain[i]!, gain[i + 1]! + attackPerFrame);
  // Forward: after a peak, recover no faster than the release.
  let min = 1;
  for (let i = 1; i < n; i++) {
    gain[i] = Math.min(gain[i]!, gain[i - 1]! * (1 + releasePerFrame));
    if (gain[i]! < min) min = gain[i]!;
  }
  if (n > 0) min = Math.min(min, gain[0]!);
  for (const x of channels) for (let i = 0; i < n; i++) x[i]! *= gain[i]!;
  return min;
}

function fade(channels: Float32Array[], inFrames: number, outFrames: number): void {
  for (const x of channels) {
    const n = x.length;
    const fi = Math.min(inFrames, n);
    for (let i = 0; i < fi; i++) x[i]! *= i / fi;
    const fo = Math.min(outFrames, n);
    for (let i = 0; i < fo; i++) x[n - 1 - i]! *= i / fo;
  }
}

/** Masters `audio` (its channels are copied, never changed) and reports what changed. */
export function master(audio: PcmAudio, options: MasterOptions = {}): { audio: PcmAudio; report: MasterReport } {
  // Fields given as undefined keep their defaults (a spread would overwrite them).
  const o = { ...DEFAULTS };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) Object.assign(o, { [key]: value });
  const rate = audio.sampleRateHz;
  const channels = audio.channels.map((c) => Float32Array.from(c));
  const before = measureLoudness(channels, rate);
  const dcOffsets = removeDc(channels, rate);
  fade(channels, Math.round(o.fadeInSeconds * rate), Math.round(o.fadeOutSeconds * rate));
  const source = channels.map((c) => Float32Array.from(c));
  const lookahead = Math.max(1, Math.round(o.lookaheadSeconds * rate));
  // 6 dB of recovery over releaseSeconds, as a per-frame multiplicative step.
  const release = 2 ** (1 / Math.max(1, o.releaseSeconds * rate)) - 1;

  const measured = measureLoudness(channels, rate, { truePeak: false }).integratedLufs;
  if (!Number.isFinite(measured)) {
    const silentPeak = truePeak(channels, rate);
    return {
      audio: { sampleRateHz: rate, channels },
      report: {
        inputLufs: before.integratedLufs,
        outputLufs: -Infinity,
        inputTruePeakDbtp: before.truePeakDbtp,
        outputTruePeakDbtp: silentPeak > 0 ? gainToDb(silentPeak) : -Infinity,
        gainDb: 0,
        limiterMaxReductionDb: 0,
        dcOffsets,
      },
    };
  }
  let gainDb = o.targetLufs - measured;
  let ceilingDb = o.ceilingDbtp - 0.1;
  let out = source;
  let minGain = 1;
  // Limiting lowers loudness and inter-sample peaks can pass a sample-peak limiter: re-measure and
  // correct. Loudness is cheap to measure, the 4x-oversampled true peak is not, so the peak is
  // checked only once the loudness has converged.
  const apply = (): void => {
    const g = dbToGain(gainDb);
    out = source.map((c) => {
      const y = new Float32Array(c.length);
      for (let i = 0; i < c.length; i++) y[i] = c[i]! * g;
      return y;
    });
    minGain = limit(out, dbToGain(ceilingDb), lookahead, release);
  };
  for (let pass = 0; pass < 8; pass++) {
    apply();
    const loudnessError = o.targetLufs - measureLoudness(out, rate, { truePeak: false }).integratedLufs;
    if (Math.abs(loudnessError) > 0.2) {
      gainDb += loudnessError;
      continue;
    }
    const peakExcess = gainToDb(truePeak(out, rate)) - o.ceilingDbtp;
    if (peakExcess <= 0) break;
    ceilingDb -= peakExcess + 0.05;
  }
  const after = measureLoudness(out, rate);
  return {
    audio: { sampleRateHz: rate, channels: out },
    report: {
      inputLufs: before.integratedLufs,
      outputLufs: after.integratedLufs,
      inputTruePeakDbtp: before.truePeakDbtp,
      outputTruePeakDbtp: after.truePeakDbtp,
      gainDb,
      limiterMaxReductionDb: -gainToDb(minGain),
      dcOffsets,
    },
  };
}

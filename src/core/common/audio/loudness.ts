/**
 * Loudness after ITU-R BS.1770-4 and EBU R128 (Tech 3341, 3342): K-weighting, 400 ms gated
 * blocks, integrated loudness in LUFS, loudness range in LU, and true peak by 4x polyphase
 * oversampling with the filter of BS.1770-4 Annex 2. Pure TypeScript on float channels, so the
 * refinement stage can master with it and evaluation can report it. See docs/METRICS.md.
 */
import { AudioError } from '../errors';
import type { Decibels, Hertz, Lufs } from '../units';

/** Coefficients of one biquad section, normalised so a0 = 1. */
export interface BiquadCoefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/** Everything `measureLoudness` reports. */
export interface LoudnessMeasurement {
  /** Gated integrated loudness (BS.1770-4); -Infinity when no block passes the gates (silence). */
  integratedLufs: Lufs;
  /** The loudest momentary (400 ms) block; -Infinity for audio shorter than one block or silent. */
  momentaryMaxLufs: Lufs;
  /** The loudest short-term (3 s) window; -Infinity for audio shorter than 3 s or silent. */
  shortTermMaxLufs: Lufs;
  /** Loudness range (EBU Tech 3342): 10th to 95th percentile of gated short-term loudness, in LU; 0 when undefined. */
  loudnessRangeLu: number;
  /** True peak in dBTP (4x oversampled, never below the sample peak); -Infinity for digital silence. */
  truePeakDbtp: Decibels;
  /** Largest absolute sample value in dBFS; -Infinity for digital silence. */
  samplePeakDbfs: Decibels;
}

/** The absolute gate of BS.1770-4, in LUFS. */
export const ABSOLUTE_GATE_LUFS: Lufs = -70;
/** The relative gate of BS.1770-4 for integrated loudness, in LU below the absolute-gated loudness. */
export const RELATIVE_GATE_LU = -10;
/** The EBU R128 broadcast target, in LUFS. */
export const EBU_R128_TARGET_LUFS: Lufs = -23;

const BLOCK_SECONDS = 0.4;
const SHORT_TERM_SECONDS = 3;
const HOP_SECONDS = 0.1;
const LRA_RELATIVE_GATE_LU = -20;

/**
 * The two K-weighting stages (high shelf, then the RLB high-pass) for any sample rate, from the
 * analogue prototypes libebur128 derived from BS.1770's 48 kHz table; at 48 kHz they equal the table.
 */
export function kWeightingCoefficients(
  sampleRateHz: Hertz,
): [shelf: BiquadCoefficients, highPass: BiquadCoefficients] {
  checkRate(sampleRateHz);
  const shelfF0 = 1681.974450955533;
  const shelfGainDb = 3.999843853973347;
  const shelfQ = 0.7071752369554196;
  let k = Math.tan((Math.PI * shelfF0) / sampleRateHz);
  const vh = Math.pow(10, shelfGainDb / 20);
  const vb = Math.pow(vh, 0.4996667741545416);
  let a0 = 1 + k / shelfQ + k * k;
  const shelf: BiquadCoefficients = {
    b0: (vh + (vb * k) / shelfQ + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / shelfQ + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / shelfQ + k * k) / a0,
  };
  const hpF0 = 38.13547087602444;
  const hpQ = 0.5003270373238773;
  k = Math.tan((Math.PI * hpF0) / sampleRateHz);
  a0 = 1 + k / hpQ + k * k;
  // The standard's table keeps b = [1, -2, 1] un-normalised; its gain error is folded into the -0.691 constant.
  const highPass: BiquadCoefficients = {
    b0: 1,
    b1: -2,
    b2: 1,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / hpQ + k * k) / a0,
  };
  return [shelf, highPass];
}

/** Channel weights of BS.1770-4: 1 for front channels, 1.41 for surrounds, 0 for LFE (5.1 order L R C LFE Ls Rs). */
export function channelWeights(channelCount: number): number[] {
  if (channelCount === 5) return [1, 1, 1, 1.41, 1.41];
  if (channelCount === 6) return [1, 1, 1, 0, 1.41, 1.41];
  return new Array<number>(channelCount).fill(1);
}

function checkRate(sampleRateHz: number): void {
  if (!Number.isFinite(sampleRateHz) || sampleRateHz < 8000)
    throw new AudioError(
      `The sample rate must be at least 8000 Hz to measure loudness, not ${sampleRateHz}.`,
      {
        field: 'sampleRateHz',
      },
    );
}

function checkChannels(channels: readonly Float32Array[]): number {
  if (channels.length === 0)
    throw new AudioError('The audio has no channels to measure.', { field: 'channels' });
  const length = channels[0]!.length;
  for (let c = 1; c < channels.length; c++)
    if (channels[c]!.length !== length)
      throw new AudioError(
        `The audio's channels differ in length (${length} and ${channels[c]!.length} frames), so it cannot be measured.`,
        { field: 'channels' },
      );
  return length;
}

/**
 * Sums of the K-weighted squared signal per 100 ms hop, one array per channel. Every gated block
 * (400 ms, 3 s) is a run of consecutive hops, so blocks cost one addition per hop.
 */
function kWeightedHopEnergies(
  channels: readonly Float32Array[],
  sampleRateHz: number,
): { hops: Float64Array[]; hopFrames: number } {
  const [s, h] = kWeightingCoefficients(sampleRateHz);
  const hopFrames = Math.round(HOP_SECONDS * sampleRateHz);
  const length = channels[0]!.length;
  const hopCount = Math.floor(length / hopFrames);
  const hops = channels.map((x) => {
    const out = new Float64Array(hopCount);
    let s1 = 0;
    let s2 = 0;
    let h1 = 0;
    let h2 = 0;
    for (let hop = 0; hop < hopCount; hop++) {
      let sum = 0;
      const end = (hop + 1) * hopFrames;
      for (let i = hop * hopFrames; i < end; i++) {
        // Transposed direct form II: two state variables per stage, stable in float64.
        const xi = x[i]!;
        const y1 = s.b0 * xi + s1;
        s1 = s.b1 * xi - s.a1 * y1 + s2;
        s2 = s.b2 * xi - s.a2 * y1;
        const y2 = h.b0 * y1 + h1;
        h1 = h.b1 * y1 - h.a1 * y2 + h2;
        h2 = h.b2 * y1 - h.a2 * y2;
        sum += y2 * y2;
      }
      out[hop] = sum;
    }
    return out;
  });
  return { hops, hopFrames };
}

/** Weighted channel-summed mean square of each window of `hopsPerBlock` hops, stepping one hop. */
function blockPowers(
  hops: Float64Array[],
  weights: number[],
  hopsPerBlock: number,
  hopFrames: number,
): Float64Array {
  const hopCount = hops[0]?.length ?? 0;
  const count = Math.max(0, hopCount - hopsPerBlock + 1);
  const out = new Float64Array(count);
  const frames = hopsPerBlock * hopFrames;
  for (let c = 0; c < hops.length; c++) {
    const w = weights[c]!;
    if (w === 0) continue;
    const e = hops[c]!;
    let run = 0;
    for (let i = 0; i < hopsPerBlock - 1 && i < hopCount; i++) run += e[i]!;
    for (let j = 0; j < count; j++) {
      run += e[j + hopsPerBlock - 1]!;
      out[j]! += (w * run) / frames;
      run -= e[j]!;
    }
  }
  return out;
}

// A loop, not Math.max(...x): hours of audio would overflow the argument stack.
function maxOf(values: Float64Array): number {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}

const toLufs = (power: number): Lufs => (power > 0 ? -0.691 + 10 * Math.log10(power) : -Infinity);

/** Gated mean of block powers: absolute gate, then the relative gate `relativeLu` below the absolute-gated mean. */
function gatedLoudness(powers: Float64Array, relativeLu: number): { lufs: Lufs; gated: number[] } {
  const absGate = Math.pow(10, (ABSOLUTE_GATE_LUFS + 0.691) / 10);
  let sum = 0;
  let n = 0;
  for (const p of powers)
    if (p > absGate) {
      sum += p;
      n++;
    }
  if (n === 0) return { lufs: -Infinity, gated: [] };
  const relGate = (sum / n) * Math.pow(10, relativeLu / 10);
  const gated: number[] = [];
  sum = 0;
  for (const p of powers)
    if (p > absGate && p > relGate) {
      sum += p;
      gated.push(p);
    }
  return { lufs: gated.length ? toLufs(sum / gated.length) : -Infinity, gated };
}

/** Integrated loudness (BS.1770-4, gated), in LUFS; -Infinity for silence or audio shorter than 400 ms. */
export function integratedLoudness(channels: readonly Float32Array[], sampleRateHz: Hertz): Lufs {
  return measureLoudness(channels, sampleRateHz, { truePeak: false }).integratedLufs;
}

/** The oversampling factor BS.1770-4 implies: enough to reach at least 192 kHz, at most 4. */
function oversamplingFactor(sampleRateHz: number): number {
  return sampleRateHz < 96000 ? 4 : sampleRateHz < 192000 ? 2 : 1;
}

// BS.1770-4 Annex 2: 48-tap interpolating FIR for 4x oversampling, as its four 12-tap phases.
const TRUE_PEAK_PHASES: readonly (readonly number[])[] = [
  [
    0.001708984375, 0.010986328125, -0.0196533203125, 0.033203125, -0.0594482421875, 0.1373291015625,
    0.97216796875, -0.102294921875, 0.047607421875, -0.026611328125, 0.014892578125, -0.00830078125,
  ],
  [
    -0.0291748046875, 0.029296875, -0.0517578125, 0.089111328125, -0.16650390625, 0.465087890625,
    0.77978515625, -0.2003173828125, 0.1015625, -0.0582275390625, 0.0330810546875, -0.0189208984375,
  ],
  [
    -0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625, -0.2003173828125, 0.77978515625,
    0.465087890625, -0.16650390625, 0.089111328125, -0.0517578125, 0.029296875, -0.0291748046875,
  ],
  [
    -0.00830078125, 0.014892578125, -0.026611328125, 0.047607421875, -0.102294921875, 0.97216796875,
    0.1373291015625, -0.0594482421875, 0.033203125, -0.0196533203125, 0.010986328125, 0.001708984375,
  ],
];

/**
 * True peak as a linear amplitude (1 = full scale): the largest absolute value of the signal
 * oversampled 4x (2x from 96 kHz, 1x from 192 kHz) with the BS.1770-4 Annex 2 filter, and
 * never less than the sample peak (the Annex's filter scales the centre tap by 0.97).
 */
export function truePeak(channels: readonly Float32Array[], sampleRateHz: Hertz): number {
  checkRate(sampleRateHz);
  checkChannels(channels);
  const factor = oversamplingFactor(sampleRateHz);
  // At 2x, phases 0 and 2 of the 4x filter are the points 0 and 1/2 of a sample period.
  const phases =
    factor === 4 ? TRUE_PEAK_PHASES : factor === 2 ? [TRUE_PEAK_PHASES[0]!, TRUE_PEAK_PHASES[2]!] : [];
  let peak = 0;
  for (const x of channels) {
    for (let i = 0; i < x.length; i++) {
      const a = Math.abs(x[i]!);
      if (a > peak) peak = a;
    }
    if (phases.length === 0) continue;
    const taps = 12;
    // y[n, p] = sum_k h_p[k] * x[n - k], with zeros before the start and 11 after the end to flush
    // the filter; padding once keeps the inner loop free of bounds checks.
    const padded = new Float64Array(x.length + 2 * (taps - 1));
    padded.set(x, taps - 1);
    const flat = Float64Array.from(phases.flatMap((h) => [...h].reverse()));
    const phaseCount = phases.length;
    for (let n = 0; n < x.length + taps - 1; n++) {
      // padded[n + j] = x[n - (taps - 1) + j]; reversed taps make it a forward dot product.
      for (let p = 0; p < phaseCount; p++) {
        const base = p * taps;
        let y = 0;
        for (let j = 0; j < taps; j++) y += flat[base + j]! * padded[n + j]!;
        const a = y < 0 ? -y : y;
        if (a > peak) peak = a;
      }
    }
  }
  return peak;
}

/** Options for `measureLoudness`. */
export interface MeasureLoudnessOptions {
  /** Compute the true peak (the slowest part, about 4x the rest); on by default. */
  truePeak?: boolean;
}

/** Integrated loudness, momentary and short-term maxima, loudness range, true and sample peak of float channels. */
export function measureLoudness(
  channels: readonly Float32Array[],
  sampleRateHz: Hertz,
  options: MeasureLoudnessOptions = {},
): LoudnessMeasurement {
  checkRate(sampleRateHz);
  checkChannels(channels);
  const weights = channelWeights(channels.length);
  const { hops, hopFrames } = kWeightedHopEnergies(channels, sampleRateHz);
  const momentary = blockPowers(hops, weights, Math.round(BLOCK_SECONDS / HOP_SECONDS), hopFrames);
  const shortTerm = blockPowers(hops, weights, Math.round(SHORT_TERM_SECONDS / HOP_SECONDS), hopFrames);
  const integrated = gatedLoudness(momentary, RELATIVE_GATE_LU);
  let samplePeak = 0;
  for (const x of channels)
    for (let i = 0; i < x.length; i++) {
      const a = Math.abs(x[i]!);
      if (a > samplePeak) samplePeak = a;
    }
  const peak = options.truePeak === false ? samplePeak : truePeak(channels, sampleRateHz);
  const dB = (v: number): Decibels => (v > 0 ? 20 * Math.log10(v) : -Infinity);
  return {
    integratedLufs: integrated.lufs,
    momentaryMaxLufs: toLufs(maxOf(momentary)),
    shortTermMaxLufs: toLufs(maxOf(shortTerm)),
    loudnessRangeLu: loudnessRange(shortTerm),
    truePeakDbtp: dB(peak),
    samplePeakDbfs: dB(samplePeak),
  };
}

/** EBU Tech 3342: the spread between the 10th and 95th percentile of short-term loudness after gating. */
function loudnessRange(shortTermPowers: Float64Array): number {
  const { gated } = gatedLoudness(shortTermPowers, LRA_RELATIVE_GATE_LU);
  if (gated.length < 2) return 0;
  const levels = gated.map(toLufs).sort((a, b) => a - b);
  const at = (q: number): number => {
    // Linear interpolation between closest ranks, as Tech 3342's reference code does.
    const pos = q * (levels.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(levels.length - 1, lo + 1);
    return levels[lo]! + (levels[hi]! - levels[lo]!) * (pos - lo);
  };
  return at(0.95) - at(0.1);
}

/**
 * The gain in dB that brings audio measured as `measured` to `targetLufs` without its true peak
 * passing `ceilingDbtp`: the smaller of the two gains. Returns 0 for silence (nothing to normalise).
 */
export function loudnessNormalizationGainDb(
  measured: Pick<LoudnessMeasurement, 'integratedLufs' | 'truePeakDbtp'>,
  targetLufs: Lufs = EBU_R128_TARGET_LUFS,
  ceilingDbtp: Decibels = -1,
): Decibels {
  if (!Number.isFinite(measured.integratedLufs)) return 0;
  const toTarget = targetLufs - measured.integratedLufs;
  const toCeiling = Number.isFinite(measured.truePeakDbtp) ? ceilingDbtp - measured.truePeakDbtp : Infinity;
  return Math.min(toTarget, toCeiling);
}

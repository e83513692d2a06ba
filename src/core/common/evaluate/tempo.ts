/**
 * Tempo consistency: how steady the beat is, measured the same way for MIDI and audio.
 * An onset-strength envelope (from note onsets, or from spectral flux of audio) is cut into
 * sliding windows; each window's tempo is the lag of its strongest autocorrelation, weighted by
 * a log-normal prior around 120 BPM (as librosa's estimator); windows are then compared with the
 * piece's median tempo after folding octave errors. Definition and reference in docs/METRICS.md.
 */
import type { Song } from '../song/song';
import { tempoMapOf } from '../song/tempo';
import type { Bpm, Hertz, Seconds } from '../units';

/** Frame rate of onset envelopes, in frames per second. */
export const ENVELOPE_RATE_HZ: Hertz = 100;

/** Settings of the local tempo estimator. */
export interface TempoOptions {
  /** Window length, in seconds (default 8). */
  windowSeconds?: Seconds;
  /** Step between windows, in seconds (default 4). */
  hopSeconds?: Seconds;
  /** Slowest tempo considered, in BPM (default 40). */
  minBpm?: Bpm;
  /** Fastest tempo considered, in BPM (default 240). */
  maxBpm?: Bpm;
  /** A window's tempo counts as consistent within this relative tolerance of the median (default 0.05 = 5%). */
  tolerance?: number;
}

/** What `tempoConsistency` found. */
export interface TempoConsistency {
  /** Fraction (0..1) of windows whose tempo lies within the tolerance of the median, after octave folding; NaN without windows. */
  consistency: number;
  /** Median local tempo, in BPM (NaN without windows). */
  medianBpm: Bpm;
  /** Spread of local tempi: 100·(2^σ − 1), σ the standard deviation of log2(tempo / median) after folding, in percent. */
  variationPercent: number;
  /** Local tempo of each window that held enough onsets, in BPM. */
  localBpm: Bpm[];
}

/**
 * The onset envelope of a song at `ENVELOPE_RATE_HZ`: each note onset adds velocity/127 at its
 * frame (seconds through the tempo map), so chords and accents weigh more.
 */
export function onsetEnvelopeFromSong(song: Song): Float32Array {
  const map = tempoMapOf(song);
  let last = 0;
  const frames = song.notes.map((n) => {
    const f = Math.round(map.toSeconds(n.startTicks) * ENVELOPE_RATE_HZ);
    if (f > last) last = f;
    return f;
  });
  const env = new Float32Array(song.notes.length ? last + 1 : 0);
  song.notes.forEach((n, i) => (env[frames[i]!]! += n.velocity / 127));
  return env;
}

/** Width of the Gaussian that smooths onsets before correlating, in seconds: onsets 20 ms off the beat still correlate. */
const SMOOTHING_SECONDS = 0.02;

/**
 * Autocorrelation, for lags minLag..maxLag, of the envelope smoothed by a Gaussian of `sigma` frames
 * and with its mean removed. Computed from pairs of non-zero frames (onset envelopes are mostly
 * zeros), then smoothed analytically: the autocorrelation of x∗g is that of x convolved with g⋆g,
 * a Gaussian of σ√2. The mean term (n − L)·m² is subtracted with m the smoothed mean.
 */
function smoothedAutocorrelation(
  x: Float32Array,
  minLag: number,
  maxLag: number,
  sigma: number,
): Float64Array {
  const n = x.length;
  const rad = Math.ceil(3 * Math.SQRT2 * sigma);
  const raw = new Float64Array(maxLag + rad + 1);
  const idx: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++)
    if (x[i] !== 0) {
      idx.push(i);
      sum += x[i]!;
    }
  for (let a = 0; a < idx.length; a++) {
    const ia = idx[a]!;
    const va = x[ia]!;
    for (let b = a; b < idx.length; b++) {
      const lag = idx[b]! - ia;
      if (lag >= raw.length) break;
      raw[lag]! += va * x[idx[b]!]!;
    }
  }
  const g2 = Array.from(
    { length: 2 * rad + 1 },
    (_, k) => Math.sqrt(Math.PI) * sigma * Math.exp(-((k - rad) ** 2) / (4 * sigma * sigma)),
  );
  const gainSum = Math.sqrt(2 * Math.PI) * sigma;
  const mean = (gainSum * sum) / n;
  const out = new Float64Array(maxLag + 1);
  // Only the lags the estimator reads; the others stay 0.
  for (let lag = Math.max(0, minLag); lag <= maxLag; lag++) {
    let r = 0;
    for (let d = -rad; d <= rad; d++) {
      const l = Math.abs(lag - d);
      if (l < raw.length) r += raw[l]! * g2[d + rad]!;
    }
    out[lag] = r - (n - lag) * mean * mean;
  }
  return out;
}

/**
 * The tempo of one stretch of onset envelope, in BPM: the lag L in the allowed range maximising
 * r(L)·w(L), r the autocorrelation of the smoothed, mean-removed envelope and w a log-normal prior
 * (centre 120 BPM, σ one octave), refined by parabolic interpolation. NaN when the stretch has no pulse.
 */
export function estimateTempo(
  envelope: Float32Array,
  frameRateHz: Hertz,
  minBpm: Bpm = 40,
  maxBpm: Bpm = 240,
): Bpm {
  const n = envelope.length;
  const minLag = Math.max(2, Math.floor((60 * frameRateHz) / maxBpm));
  const maxLag = Math.min(n - 2, Math.ceil((60 * frameRateHz) / minBpm));
  if (maxLag <= minLag + 1) return NaN;
  const r = smoothedAutocorrelation(envelope, minLag - 1, maxLag + 1, SMOOTHING_SECONDS * frameRateHz);
  const score = new Float64Array(maxLag + 2);
  let best = -1;
  for (let lag = minLag - 1; lag <= maxLag + 1; lag++) {
    const bpm = (60 * frameRateHz) / lag;
    score[lag] = r[lag]! * Math.exp(-0.5 * Math.log2(bpm / 120) ** 2);
    if (lag >= minLag && lag <= maxLag && r[lag]! > 0 && (best < 0 || score[lag]! > score[best]!)) best = lag;
  }
  if (best < 0) return NaN;
  const a = score[best - 1]!;
  const b = score[best]!;
  const c = score[best + 1]!;
  const denom = a - 2 * b + c;
  const offset = denom < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / denom)) : 0;
  return (60 * frameRateHz) / (best + offset);
}

/** Folds `bpm` by octaves into [median/√2, median·√2), so a window counting half or double time is not a tempo change. */
function foldLog2(bpm: number, median: number): number {
  let r = Math.log2(bpm / median);
  while (r >= 0.5) r -= 1;
  while (r < -0.5) r += 1;
  return r;
}

/**
 * Tempo consistency of an onset envelope at `frameRateHz`: local tempi in sliding windows (windows
 * with fewer than 4 onset frames are skipped), then the fraction within `tolerance` of their median.
 */
export function tempoConsistency(
  envelope: Float32Array,
  frameRateHz: Hertz,
  options: TempoOptions = {},
): TempoConsistency {
  const windowFrames = Math.round((options.windowSeconds ?? 8) * frameRateHz);
  const hopFrames = Math.max(1, Math.round((options.hopSeconds ?? 4) * frameRateHz));
  const tolerance = options.tolerance ?? 0.05;
  const localBpm: number[] = [];
  const starts: number[] = [];
  for (let s = 0; s + windowFrames <= envelope.length; s += hopFrames) starts.push(s);
  // A piece shorter than one window still gets one estimate over all of it.
  if (starts.length === 0 && envelope.length > 0) starts.push(0);
  for (const s of starts) {
    const end = Math.min(envelope.length, s + windowFrames);
    let onsets = 0;
    for (let i = s; i < end; i++) if (envelope[i]! > 0) onsets++;
    if (onsets < 4) continue;
    const bpm = estimateTempo(
      envelope.subarray(s, end),
      frameRateHz,
      options.minBpm ?? 40,
      options.maxBpm ?? 240,
    );
    if (Number.isFinite(bpm)) localBpm.push(bpm);
  }
  if (localBpm.length === 0) return { consistency: NaN, medianBpm: NaN, variationPercent: NaN, localBpm };
  const sorted = [...localBpm].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : Math.sqrt(sorted[mid - 1]! * sorted[mid]!);
  const folded = localBpm.map((b) => foldLog2(b, median));
  const limit = Math.log2(1 + tolerance);
  const within = folded.filter((r) => Math.abs(r) <= limit).length;
  const meanR = folded.reduce((a, b) => a + b, 0) / folded.length;
  const sd = Math.sqrt(folded.reduce((a, r) => a + (r - meanR) ** 2, 0) / folded.length);
  return {
    consistency: within / folded.length,
    medianBpm: median,
    variationPercent: 100 * (Math.pow(2, sd) - 1),
    localBpm,
  };
}

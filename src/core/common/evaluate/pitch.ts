/**
 * Pitch measures of one song, after Yang & Lerch (2018) and MusPy (Dong et al. 2020).
 * Consecutive notes are taken in `Song.notes` order (onset, then pitch), as mgeval does.
 * Each returns NaN when the song has too few notes for the measure to mean anything.
 */
import type { Note } from '../song/song';

/** PC: the number of distinct MIDI pitches used. */
export function pitchCount(notes: readonly Note[]): number {
  return new Set(notes.map((n) => n.pitch)).size;
}

/** PCH: how often each pitch class (C = 0 … B = 11) occurs, normalised to sum to 1 (all zeros for no notes). */
export function pitchClassHistogram(notes: readonly Note[]): number[] {
  const h = new Array<number>(12).fill(0);
  for (const n of notes) h[n.pitch % 12]!++;
  return notes.length ? h.map((c) => c / notes.length) : h;
}

/**
 * PCTM: counts of pitch class a followed by pitch class b over consecutive notes, row-major
 * (index 12·a + b), normalised to sum to 1 (all zeros with fewer than two notes).
 */
export function pitchClassTransitionMatrix(notes: readonly Note[]): number[] {
  const m = new Array<number>(144).fill(0);
  for (let i = 1; i < notes.length; i++) m[(notes[i - 1]!.pitch % 12) * 12 + (notes[i]!.pitch % 12)]!++;
  const total = Math.max(0, notes.length - 1);
  return total ? m.map((c) => c / total) : m;
}

/** PR: highest minus lowest pitch, in semitones (NaN for no notes). */
export function pitchRange(notes: readonly Note[]): number {
  if (notes.length === 0) return NaN;
  let lo = 127;
  let hi = 0;
  for (const n of notes) {
    if (n.pitch < lo) lo = n.pitch;
    if (n.pitch > hi) hi = n.pitch;
  }
  return hi - lo;
}

/** PI: mean absolute interval between consecutive notes, in semitones (NaN with fewer than two notes). */
export function averagePitchInterval(notes: readonly Note[]): number {
  if (notes.length < 2) return NaN;
  let sum = 0;
  for (let i = 1; i < notes.length; i++) sum += Math.abs(notes[i]!.pitch - notes[i - 1]!.pitch);
  return sum / (notes.length - 1);
}

/** Shannon entropy in bits of a histogram of counts or probabilities (0 for an empty one). */
export function entropyBits(histogram: readonly number[]): number {
  let total = 0;
  for (const c of histogram) total += c;
  if (total <= 0) return 0;
  let h = 0;
  for (const c of histogram) if (c > 0) h -= (c / total) * Math.log2(c / total);
  // -0 when one bin holds everything; report a plain 0.
  return h === 0 ? 0 : h;
}

/** Pitch entropy: entropy in bits of the 128-pitch histogram (0..7; NaN for no notes). */
export function pitchEntropy(notes: readonly Note[]): number {
  if (notes.length === 0) return NaN;
  const h = new Array<number>(128).fill(0);
  for (const n of notes) h[n.pitch]!++;
  return entropyBits(h);
}

/** Pitch-class entropy: entropy in bits of the 12-class histogram (0..log2 12 ≈ 3.585; NaN for no notes). */
export function pitchClassEntropy(notes: readonly Note[]): number {
  if (notes.length === 0) return NaN;
  return entropyBits(pitchClassHistogram(notes));
}

const MAJOR_SCALE = [0, 2, 4, 5, 7, 9, 11];
const NATURAL_MINOR_SCALE = [0, 2, 3, 5, 7, 8, 10];

/** The key whose scale holds most notes, and what fraction it holds. */
export interface ScaleFit {
  /** Tonic pitch class, 0 = C. */
  tonic: number;
  /** Major or natural minor. */
  mode: 'major' | 'minor';
  /** Fraction of notes in that scale (the scale consistency). */
  inScaleRate: number;
}

/** The major or natural-minor scale (of 24) that holds the largest fraction of notes; ties go to the first found (C major first). */
export function bestScale(notes: readonly Note[]): ScaleFit {
  const h = new Array<number>(12).fill(0);
  for (const n of notes) h[n.pitch % 12]!++;
  let best: ScaleFit = { tonic: 0, mode: 'major', inScaleRate: notes.length ? 0 : NaN };
  if (notes.length === 0) return best;
  for (const [mode, steps] of [
    ['major', MAJOR_SCALE],
    ['minor', NATURAL_MINOR_SCALE],
  ] as const)
    for (let tonic = 0; tonic < 12; tonic++) {
      let inside = 0;
      for (const s of steps) inside += h[(tonic + s) % 12]!;
      const rate = inside / notes.length;
      if (rate > best.inScaleRate) best = { tonic, mode, inScaleRate: rate };
    }
  return best;
}

/** Scale consistency (MusPy): the largest in-scale rate over the 24 major and minor scales (NaN for no notes). */
export function scaleConsistency(notes: readonly Note[]): number {
  return bestScale(notes).inScaleRate;
}

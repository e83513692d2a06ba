/**
 * Choosing the next token from a model's probabilities: temperature, top-k, top-p (nucleus)
 * and a repetition guard, drawn with the seeded `Rng`.
 *
 * Determinism across runtimes: ONNX and TF.js give probabilities that differ by ~1e-7. All
 * arithmetic here is float64, candidates are summed in token-id order (not in probability
 * order, which near-ties could swap), and one uniform draw picks the token whose cumulative
 * interval holds it. A runtime difference can change the choice only when the draw lands within
 * that difference of an interval boundary: about 1e-6 per step, so a 500-event piece matches
 * on both runtimes with probability ≈ 0.9995 for each seed (the cross-runtime test holds it).
 */
import { checkNumber, type NumberRange } from '../validate';
import type { Rng } from '../random';

/** How to sample. */
export interface SamplingOptions {
  /** Softmax temperature: 1 = the model's distribution, < 1 sharper, > 1 flatter, 0 = argmax. */
  temperature: number;
  /** Keep only the k most probable tokens (0 = no limit). */
  topK: number;
  /** Keep the smallest set of most probable tokens whose probability reaches p (1 = no limit). */
  topP: number;
  /** Forbid an event that would make more than this many identical events in a row, time steps aside (0 = no guard). */
  maxRepeat: number;
}

/**
 * Defaults: the model's own distribution trimmed of its improbable tail, and no event more than 4
 * times in a row (in the 291-piece corpus, runs of more than 4 identical events are 0.08% of runs).
 */
export const DEFAULT_SAMPLING: SamplingOptions = { temperature: 1.0, topK: 0, topP: 0.95, maxRepeat: 4 };

/** The ranges of the sampling options; the CLI's flags read them from here. */
export const SAMPLING_LIMITS = {
  temperature: { min: 0, max: 10 },
  topK: { min: 0, integer: true },
  topP: { min: 0.001, max: 1 },
  maxRepeat: { min: 0, integer: true },
} as const satisfies Record<keyof SamplingOptions, NumberRange>;

/** Checks the options are in range; throws `UsageError` naming the option as its CLI flag. */
export function checkSamplingOptions(options: SamplingOptions): void {
  checkNumber('--temperature', options.temperature, SAMPLING_LIMITS.temperature);
  checkNumber('--top-k', options.topK, SAMPLING_LIMITS.topK);
  checkNumber('--top-p', options.topP, SAMPLING_LIMITS.topP);
  checkNumber('--max-repeat', options.maxRepeat, SAMPLING_LIMITS.maxRepeat);
}

/**
 * How many events at the end of `history` equal its last event. Ids for which `isEvent` is false
 * (e.g. the notes tokenizer's time steps) are skipped, so `60:12 +12 60:12 +12 60:12` is a run of 3.
 * Returns the run length and the repeated id (-1 when there is no event).
 */
export function trailingRun(history: ArrayLike<number>, isEvent: (id: number) => boolean = () => true): { run: number; id: number } {
  let id = -1;
  let run = 0;
  for (let k = history.length - 1; k >= 0; k--) {
    const h = history[k]!;
    if (!isEvent(h)) continue;
    if (id < 0) id = h;
    else if (h !== id) break;
    run++;
  }
  return { run, id };
}

/** What the sampler needs besides the probabilities. */
export interface SampleContext {
  /** The context so far, for the repetition guard. */
  history?: ArrayLike<number>;
  /** Ids never chosen (e.g. the unknown token). */
  banned?: ReadonlySet<number>;
  /** Which ids are musical events (the others, e.g. time steps, are ignored by the repetition guard). */
  isEvent?: (id: number) => boolean;
}

/**
 * Picks a token id from `probs` (one row of the model's output, length = vocabulary size).
 * Falls back to the most probable allowed id if every candidate is masked, so generation never
 * stalls.
 */
export function sampleToken(probs: ArrayLike<number>, options: SamplingOptions, rng: Rng, context: SampleContext = {}): number {
  const size = probs.length;
  const banned = context.banned ?? new Set<number>();
  const weights = scratch.weights(size);
  let guarded = -1;
  if (options.maxRepeat > 0 && context.history) {
    const { run, id } = trailingRun(context.history, context.isEvent);
    if (run >= options.maxRepeat) guarded = id;
  }
  for (let id = 0; id < size; id++) {
    const p = Number(probs[id]);
    weights[id] = p > 0 ? p : 0;
  }
  for (const id of banned) if (id >= 0 && id < size) weights[id] = 0;
  let best = -1;
  for (let id = 0; id < size; id++) if (weights[id]! > 0 && (best < 0 || weights[id]! > weights[best]!)) best = id;
  if (guarded >= 0 && guarded < size) weights[guarded] = 0;
  if (best < 0) return 0;
  // The draw happens even for argmax, so a piece's random stream does not depend on the settings path.
  const u = rng.next();
  if (options.temperature === 0) {
    let arg = -1;
    for (let id = 0; id < size; id++) if (weights[id]! > 0 && (arg < 0 || weights[id]! > weights[arg]!)) arg = id;
    return arg < 0 ? best : arg;
  }
  if (options.temperature !== 1) {
    // p^(1/T), renormalised below, equals softmax(logits / T); scaled by the max to avoid underflow.
    let max = 0;
    for (let id = 0; id < size; id++) max = Math.max(max, weights[id]!);
    const inv = 1 / options.temperature;
    for (let id = 0; id < size; id++) if (weights[id]! > 0) weights[id] = Math.pow(weights[id]! / max, inv);
  }
  keepNucleus(weights, options.topK, options.topP);
  let total = 0;
  for (let id = 0; id < size; id++) total += weights[id]!;
  if (!(total > 0)) return best;
  const target = u * total;
  let acc = 0;
  let last = best;
  for (let id = 0; id < size; id++) {
    const w = weights[id]!;
    if (w <= 0) continue;
    acc += w;
    last = id;
    if (target < acc) return id;
  }
  // Rounding can leave target a hair above the final sum; the last candidate owns that sliver.
  return last;
}

/** Mantissa bits that split each octave into buckets: 2^2 = 4 per octave (finer buckets measured slower). */
const MANTISSA_BITS = 2;
/** Magnitude buckets per halving of the weight; 4 per octave, 30 octaves below the largest weight, then one catch-all. */
const BUCKETS_PER_OCTAVE = 2 ** MANTISSA_BITS;
const BUCKET_COUNT = 30 * BUCKETS_PER_OCTAVE + 1;

/**
 * Work arrays reused from call to call (a call never re-enters itself), so sampling a long piece
 * does not allocate a few kilobytes per token for the garbage collector.
 */
const scratch = {
  weightArray: new Float64Array(0),
  bucketArray: new Int16Array(0),
  mass: new Float64Array(BUCKET_COUNT),
  count: new Int32Array(BUCKET_COUNT),
  /** A zeroed float64 array of `size`. */
  weights(size: number): Float64Array {
    if (this.weightArray.length < size) this.weightArray = new Float64Array(size);
    return this.weightArray.subarray(0, size).fill(0);
  },
  /** An int16 array of `size` (contents undefined). */
  buckets(size: number): Int16Array {
    if (this.bucketArray.length < size) this.bucketArray = new Int16Array(size);
    return this.bucketArray.subarray(0, size);
  },
};
/** Scratch for reading a float64's bits. */
const bits = new Float64Array(1);
const bitsHigh = new Uint32Array(bits.buffer, 4, 1);

/**
 * The bucket of a ratio r in (0, 1] to the largest weight: 4 per octave below 1, from the float's
 * exponent and top mantissa bits (a piecewise-linear log2, so no Math.log2 per token). Only the
 * order matters: a larger ratio never gets a later bucket.
 */
function bucketOf(ratio: number): number {
  bits[0] = ratio;
  const high = bitsHigh[0]!;
  const exponent = ((high >>> 20) & 0x7ff) - 1023;
  const fraction = (high >>> (20 - MANTISSA_BITS)) & (BUCKETS_PER_OCTAVE - 1);
  return Math.min(BUCKET_COUNT - 1, -BUCKETS_PER_OCTAVE * exponent - fraction);
}

/**
 * Zeroes every weight outside the top-k and top-p set: the longest prefix of the tokens sorted by
 * weight (ties by lower id) that top-k allows, cut where its mass first reaches top-p.
 *
 * Sorting a 2,000-token row per event cost as much as a model call, so tokens are first put in
 * buckets by magnitude (a quarter-octave each, largest first); whole buckets above the cut are
 * kept without sorting and only the bucket the cut falls in is sorted.
 */
function keepNucleus(weights: Float64Array, topK: number, topP: number): void {
  if (topK <= 0 && topP >= 1) return;
  let max = 0;
  for (let id = 0; id < weights.length; id++) if (weights[id]! > max) max = weights[id]!;
  if (!(max > 0)) return;
  const buckets = scratch.buckets(weights.length).fill(-1);
  const mass = scratch.mass.fill(0);
  const count = scratch.count.fill(0);
  let n = 0;
  let total = 0;
  for (let id = 0; id < weights.length; id++) {
    const w = weights[id]!;
    if (!(w > 0)) continue;
    const b = bucketOf(w / max);
    buckets[id] = b;
    mass[b]! += w;
    count[b]!++;
    n++;
    total += w;
  }
  // Members of bucket b in prefix order: weight descending, then id ascending.
  const members = (b: number): number[] => {
    const ids: number[] = [];
    for (let id = 0; id < weights.length; id++) if (buckets[id] === b) ids.push(id);
    return ids.sort((x, y) => weights[y]! - weights[x]! || x - y);
  };
  let keep = topK > 0 ? Math.min(topK, n) : n;
  if (topP < 1) {
    const target = topP * total;
    let acc = 0;
    let before = 0;
    for (let b = 0; b < BUCKET_COUNT; b++) {
      if (count[b] === 0) continue;
      if (acc + mass[b]! < target && b < BUCKET_COUNT - 1) {
        acc += mass[b]!;
        before += count[b]!;
        continue;
      }
      // The cut falls in this bucket: add its members one by one.
      const ids = members(b);
      let k = 0;
      while (k < ids.length - 1 && acc + weights[ids[k]!]! < target) acc += weights[ids[k++]!]!;
      keep = Math.min(keep, before + k + 1);
      break;
    }
  }
  if (keep >= n) return;
  // Keep the first `keep` tokens in prefix order: whole buckets, then the head of the boundary bucket.
  let left = keep;
  for (let b = 0; b < BUCKET_COUNT; b++) {
    if (count[b] === 0) continue;
    if (left >= count[b]!) {
      left -= count[b]!;
      continue;
    }
    const ids = members(b);
    for (let k = left; k < ids.length; k++) weights[ids[k]!] = 0;
    for (let id = 0; id < weights.length; id++) if (buckets[id]! > b) weights[id] = 0;
    return;
  }
}

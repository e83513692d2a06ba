/**
 * Training examples from token sequences, for both models: windows of `length + 1` tokens inside
 * one piece, every `stride` tokens (`windowsOf`, the one builder), kept as offsets into one
 * concatenated buffer, so a corpus of millions of tokens costs 4 bytes per example. The BiLSTM reads
 * each window as (tokens[p-window .. p-1] -> tokens[p]) (`WindowSet`, by target position); the
 * transformer predicts every next token of its window (`TrainingWindows`, by first position, with
 * the transposition tables that augment it).
 */
import { Rng } from '../../common/random';
import type { Vocabulary } from '../../common/tokenize/types';

/** A split's examples: `offsets[k]` is the buffer position of example k's target. */
export interface WindowSet {
  /** All pieces' tokens back to back. */
  tokens: Uint16Array;
  /** Target positions in `tokens`. */
  offsets: Int32Array;
  /** Tokens per window. */
  window: number;
}

/** The BiLSTM's examples of `pieces`: the windows of `windowsOf`, by target position. */
export function buildWindows(pieces: readonly Uint16Array[], window: number, stride = 1): WindowSet {
  const { tokens, starts } = windowsOf(pieces, window, stride);
  return { tokens, offsets: starts.map((s) => s + window), window };
}

/** At most `count` examples spread evenly over `set` (all of them when count is 0 or larger than the set). */
export function spreadSubset(set: WindowSet, count: number): WindowSet {
  if (count <= 0 || count >= set.offsets.length) return set;
  const offsets = new Int32Array(count);
  for (let k = 0; k < count; k++) offsets[k] = set.offsets[Math.floor((k * set.offsets.length) / count)]!;
  return { ...set, offsets };
}

/** Fills `ids` (batch x window, window-major) and `targets` with the examples `order[start..start+batch)`. */
export function fillBatch(
  set: WindowSet,
  order: Int32Array,
  start: number,
  batch: number,
  ids: Int32Array,
  targets: Int32Array,
): void {
  const w = set.window;
  for (let b = 0; b < batch; b++) {
    const off = set.offsets[order[start + b]!]!;
    for (let t = 0; t < w; t++) ids[b * w + t] = set.tokens[off - w + t]!;
    targets[b] = set.tokens[off]!;
  }
}

/**
 * The example order of `epoch`: a shuffle that depends only on the seed and the epoch number,
 * so a resumed run visits examples in exactly the order an uninterrupted one would.
 */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  const order = Array.from({ length: count }, (_, i) => i);
  new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0).shuffle(order);
  return Int32Array.from(order);
}

/** Windows over `tokens` (every piece's ids, concatenated); no window crosses a piece's end. */
export interface TrainingWindows {
  tokens: Uint16Array;
  /** Offset in `tokens` of each window's first token. */
  starts: Int32Array;
  /** Transposition tables (`performanceTranspositions`); one table or none means no augmentation. */
  tables: Int32Array[];
}

/**
 * Windows of `length + 1` tokens every `stride` tokens of each of `pieces`.
 * @param pick keep only these windows (by index), e.g. an even spread for validation.
 */
export function windowsOf(
  pieces: readonly Uint16Array[],
  length: number,
  stride: number,
  tables: Int32Array[] = [],
  pick?: (count: number) => number[],
): TrainingWindows {
  const tokens = new Uint16Array(pieces.reduce((n, p) => n + p.length, 0));
  const starts: number[] = [];
  let offset = 0;
  for (const p of pieces) {
    tokens.set(p, offset);
    for (let s = 0; s + length + 1 <= p.length; s += stride) starts.push(offset + s);
    offset += p.length;
  }
  const kept = pick ? pick(starts.length).map((i) => starts[i]!) : starts;
  return { tokens, starts: Int32Array.from(kept), tables };
}

/**
 * Inputs and targets ([count * length] each) of windows `order[start .. start+count)`, each window
 * transposed by one of the tables drawn from `rng` (a window whose pitches would leave the piano is
 * kept as written). Without `rng` (validation) nothing is transposed.
 */
export function batchIds(
  w: TrainingWindows,
  order: Int32Array,
  start: number,
  count: number,
  length: number,
  rng?: Rng,
): [Int32Array, Int32Array] {
  const xs = new Int32Array(count * length);
  const ys = new Int32Array(count * length);
  const t = w.tokens;
  for (let b = 0; b < count; b++) {
    const s0 = w.starts[order[start + b]!]!;
    let table = w.tables.length > 1 && rng ? w.tables[rng.int(w.tables.length)] : undefined;
    for (let i = 0; i <= length && table; i++) if (table[t[s0 + i]!]! < 0) table = undefined;
    for (let i = 0; i < length; i++) {
      const x = t[s0 + i]!;
      const y = t[s0 + i + 1]!;
      xs[b * length + i] = table ? table[x]! : x;
      ys[b * length + i] = table ? table[y]! : y;
    }
  }
  return [xs, ys];
}

/**
 * For each shift, the id every token id becomes `shift` semitones up (`NOTE_ON_p`, `NOTE_OFF_p`),
 * or -1 where the pitch would leave the piano's 21..108; other tokens are unchanged.
 */
export function performanceTranspositions(vocab: Vocabulary, shifts: readonly number[]): Int32Array[] {
  const index = new Map(vocab.tokens.map((t, i) => [t, i]));
  return shifts.map((shift) =>
    Int32Array.from(vocab.tokens, (token, id) => {
      const m = /^(NOTE_ON|NOTE_OFF)_(\d+)$/.exec(token);
      if (!m || shift === 0) return id;
      const p = Number(m[2]) + shift;
      return p < 21 || p > 108 ? -1 : (index.get(`${m[1]}_${p}`) ?? -1);
    }),
  );
}

/**
 * Training examples from token sequences: every position p of a piece with at least `window`
 * tokens before it gives the example (tokens[p-window .. p-1] -> tokens[p]). Windows never cross
 * piece boundaries. Examples are kept as offsets into one concatenated buffer, so a corpus of
 * millions of tokens costs 4 bytes per example.
 */
import { Rng } from '../../common/random';

/** A split's examples: `offsets[k]` is the buffer position of example k's target. */
export interface WindowSet {
  /** All pieces' tokens back to back. */
  tokens: Uint16Array;
  /** Target positions in `tokens`. */
  offsets: Int32Array;
  /** Tokens per window. */
  window: number;
}

/** The examples of `pieces`, taking every `stride`-th target position. */
export function buildWindows(pieces: readonly Uint16Array[], window: number, stride = 1): WindowSet {
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const tokens = new Uint16Array(total);
  const offsets: number[] = [];
  let at = 0;
  for (const piece of pieces) {
    tokens.set(piece, at);
    for (let p = window; p < piece.length; p += stride) offsets.push(at + p);
    at += piece.length;
  }
  return { tokens, offsets: Int32Array.from(offsets), window };
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

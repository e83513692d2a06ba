/**
 * The transformer's training examples: windows of `seqLength + 1` tokens inside one piece, kept as
 * one token array and the windows' start offsets (plain arrays, so worker threads can be sent
 * them), with the transposition tables that augment them.
 */
import type { Rng } from '../../../common/random';
import type { Vocabulary } from '../../../common/tokenize/types';

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

/**
 * Repetition and novelty on an event sequence. An event is the set of pitches that start at one
 * onset (a note or a chord, e.g. "60.64.67"), in onset order; rhythm and velocity are left out, so a
 * melody copied at another tempo or touch still counts as copied. See docs/METRICS.md.
 */
import type { Song } from '../song/song';

/** The song as chord events: for each distinct onset tick, its pitches ascending, joined by '.'. */
export function chordEvents(song: Song): string[] {
  const out: string[] = [];
  let tick = NaN;
  let pitches: number[] = [];
  const flush = (): void => {
    if (pitches.length) out.push([...new Set(pitches)].sort((a, b) => a - b).join('.'));
  };
  for (const n of song.notes) {
    if (n.startTicks !== tick) {
      flush();
      pitches = [];
      tick = n.startTicks;
    }
    pitches.push(n.pitch);
  }
  flush();
  return out;
}

/** Maps event strings to small integer ids, shared by every sequence that is compared. */
export class EventDictionary {
  private readonly ids = new Map<string, number>();

  /** The sequence as ids, adding unseen events. */
  encode(events: readonly string[]): Int32Array {
    const out = new Int32Array(events.length);
    events.forEach((e, i) => {
      let id = this.ids.get(e);
      if (id === undefined) this.ids.set(e, (id = this.ids.size));
      out[i] = id;
    });
    return out;
  }

  /** Number of distinct events seen. */
  get size(): number {
    return this.ids.size;
  }
}

/** Longest run of one event repeated back to back (1 for a sequence without repeats, 0 for none). */
export function longestRepeatedRun(events: ArrayLike<number>): number {
  let best = events.length ? 1 : 0;
  let run = 1;
  for (let i = 1; i < events.length; i++) {
    run = events[i] === events[i - 1] ? run + 1 : 1;
    if (run > best) best = run;
  }
  return best;
}

/**
 * Distinct n-grams divided by all n-grams (1 = nothing repeats; NaN with fewer than n events).
 * N-grams are compared by a 53-bit hash (two 32-bit FNV-1a variants), so a false match needs a
 * collision of about 1 in 2^53 per pair.
 */
export function distinctNgramRatio(events: ArrayLike<number>, n: number): number {
  const total = events.length - n + 1;
  if (total <= 0) return NaN;
  const seen = new Set<number>();
  for (let i = 0; i < total; i++) {
    let h1 = 0x811c9dc5;
    let h2 = 0x12345678;
    for (let j = 0; j < n; j++) {
      const e = events[i + j]!;
      h1 = Math.imul(h1 ^ e, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ (e + 0x9e3779b9), 0x01000193) >>> 0;
    }
    seen.add(h1 * 2 ** 21 + (h2 >>> 11));
  }
  return seen.size / total;
}

/** Where the longest copied span was found. */
export interface CopiedSpan {
  /** Events in the longest span that occurs verbatim in a reference piece (0 when not even one event does). */
  length: number;
  /** Which reference piece (index as given to `ReferenceIndex`), or -1. */
  referencePiece: number;
  /** Event offset of the span in that reference piece. */
  referenceOffset: number;
  /** Event offset of the span in the queried sequence. */
  queryOffset: number;
}

const SEED = 4;

function hashAt(seq: Int32Array, i: number, k: number): number {
  let h = 0x811c9dc5;
  for (let j = 0; j < k; j++) h = Math.imul(h ^ seq[i + j]!, 0x01000193) >>> 0;
  return h;
}

/**
 * An index of reference event sequences (e.g. the training corpus) for finding the longest span of
 * a new sequence copied from them. Spans of at least 4 events are found through a sorted table of
 * 4-gram hashes and extended event by event; shorter ones through sets of 1- to 3-gram hashes.
 */
export class ReferenceIndex {
  private readonly all: Int32Array;
  private readonly starts: number[] = [];
  private readonly table: Float64Array;
  // Hashes of every 1-, 2- and 3-gram (a false match needs a 32-bit collision: about 1 in 5000 queries).
  private readonly short: Set<number>[] = [new Set(), new Set(), new Set()];

  /** @param pieces the reference sequences, ids from the same `EventDictionary` as the queries. */
  constructor(pieces: readonly Int32Array[]) {
    const total = pieces.reduce((n, p) => n + p.length + 1, 0);
    this.all = new Int32Array(total);
    let at = 0;
    pieces.forEach((p, k) => {
      this.starts.push(at);
      this.all.set(p, at);
      // A separator unique to each piece, so no span runs across two pieces.
      this.all[at + p.length] = -(k + 1);
      at += p.length + 1;
      for (let n = 1; n <= 3; n++)
        for (let i = 0; i + n <= p.length; i++) this.short[n - 1]!.add(hashAt(p, i, n));
    });
    const keys: number[] = [];
    for (let i = 0; i + SEED <= this.all.length; i++) {
      let ok = true;
      for (let j = 0; j < SEED; j++) if (this.all[i + j]! < 0) ok = false;
      // hash·2^21 + position is exact in a double while positions stay under 2^21 (2 million events).
      if (ok && i < 2 ** 21) keys.push(hashAt(this.all, i, SEED) * 2 ** 21 + i);
    }
    this.table = Float64Array.from(keys).sort();
  }

  private pieceAt(pos: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The longest span of `query` that occurs verbatim in one reference piece, skipping piece `excludePiece` (e.g. itself). */
  longestCopiedSpan(query: Int32Array, excludePiece = -1): CopiedSpan {
    let best: CopiedSpan = { length: 0, referencePiece: -1, referenceOffset: -1, queryOffset: -1 };
    const maxCandidates = 2000;
    for (let i = 0; i + SEED <= query.length; i++) {
      const h = hashAt(query, i, SEED);
      let lo = 0;
      let hi = this.table.length;
      const key = h * 2 ** 21;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.table[mid]! < key) lo = mid + 1;
        else hi = mid;
      }
      for (let c = lo, seen = 0; c < this.table.length && seen < maxCandidates; c++, seen++) {
        const entry = this.table[c]!;
        if (Math.floor(entry / 2 ** 21) !== h) break;
        const j = entry - h * 2 ** 21;
        // Only spans that cannot be extended to the left: the others were measured from i−1.
        if (i > 0 && j > 0 && query[i - 1] === this.all[j - 1]) continue;
        let len = 0;
        while (i + len < query.length && query[i + len] === this.all[j + len]) len++;
        if (len <= best.length) continue;
        const piece = this.pieceAt(j);
        if (piece === excludePiece) continue;
        best = {
          length: len,
          referencePiece: piece,
          referenceOffset: j - this.starts[piece]!,
          queryOffset: i,
        };
      }
    }
    if (best.length >= SEED) return best;
    // Shorter spans: the piece exclusion cannot apply to the n-gram sets, so they only say a length exists.
    for (let n = 3; n >= 1; n--)
      for (let i = 0; i + n <= query.length; i++)
        if (this.short[n - 1]!.has(hashAt(query, i, n)))
          return { length: n, referencePiece: -1, referenceOffset: -1, queryOffset: i };
    return best;
  }
}

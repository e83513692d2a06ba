/**
 * Piece memory: what followed the same context earlier in this piece. Music repeats itself (a
 * real corpus piece's longest self-repeat is a median 32 onset groups; 28% of its 4-grams of
 * onset groups recur), and an LSTM's state blurs what it heard a page ago. So the composer's
 * next-token distribution is mixed with a cache model (Kuhn & De Mori, 1990) that looks up the
 * longest earlier occurrence of the piece's last tokens and proposes what came next there:
 *
 *   p(v) = (1 - λ) p_model(v) + λ p_memory(v),  λ = weights[cell(match length, agreement)]
 *
 * The weights are not set by hand: `fitMemoryWeights` finds them by expectation-maximisation on
 * pieces' real continuations (the likelihood of what the pieces actually did next), so a match
 * of a few tokens, which is often chance, gets little weight and a long one gets much.
 * Pure code: no I/O; the composer's scorer and sampler use it alike.
 */

import { parseRemiToken } from '../tokenize/remi';

/** How the memory matches and how much it is trusted. Stored in a composer's config.json. */
export interface PieceMemorySettings {
  /** Shortest match, tokens, for the memory to propose anything. */
  minMatch: number;
  /** Matches are measured up to this many tokens (longer ones count as this long). */
  maxMatch: number;
  /** Ascending starts of the match-length bands, tokens; the first equals `minMatch`. */
  bandStarts: number[];
  /**
   * λ per cell, 0..1: cell = band * 6 + kind * 2 + (1 when the match is in another key, else 0);
   * kind 0 when the longest match occurred once before, 1 when several times and what followed
   * agreed (the passage is already a repeat: play it a third time?), 2 when several times with
   * different continuations. Length `bandStarts.length * 6`.
   */
  weights: number[];
}

/**
 * The share of the fitted weights that sampling uses unless told otherwise. A sampled piece hears
 * its own samples, so the full weights (fitted where the continuations were real music) feed
 * loops. Of the shares tried, 0.85 gives pieces that repeat themselves most like the training
 * pieces (median distinct 4-grams of onset groups 0.70 against 0.71); 0.78 hardly repeats (0.98),
 * 0.88 loops (0.33). docs/MODELS.md, "Piece memory".
 */
export const DEFAULT_MEMORY_SCALE = 0.85;

/** Cells per band (see `PieceMemorySettings.weights`): 3 kinds x exact or transposed. */
export const CELL_KINDS = 6;

/** Match bands used by the composer (tokens): short matches are mostly chance, long ones repeats. */
export const MEMORY_BAND_STARTS: readonly number[] = [4, 6, 8, 12, 16, 24, 32, 48, 64];

/** The memory's settings before fitting: every weight 0 (the plain model). */
export function untrainedMemory(): PieceMemorySettings {
  return { minMatch: MEMORY_BAND_STARTS[0]!, maxMatch: MEMORY_BAND_STARTS[MEMORY_BAND_STARTS.length - 1]!, bandStarts: [...MEMORY_BAND_STARTS], weights: new Array<number>(MEMORY_BAND_STARTS.length * CELL_KINDS).fill(0) };
}

/** What the memory proposes for the next token. */
export interface MemoryProposal {
  /** Length of the longest earlier match of the piece's end, tokens (capped at `maxMatch`). */
  matchTokens: number;
  /** Which weight applies (see `PieceMemorySettings.weights`). */
  cell: number;
  /** Ids that followed the matches, with their share (sums to 1). */
  ids: number[];
  shares: number[];
}

/** Most recent earlier occurrences examined per lookup (older ones rarely matter; bounds the cost). */
const MAX_CANDIDATES = 64;
/** Shapes at or above this stand for a pitch token, as the interval from the pitch before it. */
const PITCH_SHAPE = 1024;
/** Offset of the interval in a pitch shape (intervals -128..127). */
const INTERVAL_ZERO = 128;
/** Shape values stay below this (keys are base-2048 numbers of `minMatch` shapes). */
const SHAPE_BASE = 2048;

/** How the memory reads pitch tokens, so it can also find a passage played in another key. */
export interface PitchReading {
  /** MIDI pitch of a token id, undefined for tokens that are not pitches. */
  pitchOf(id: number): number | undefined;
  /** Token id of a MIDI pitch, undefined where the vocabulary has none. */
  idOf(pitch: number): number | undefined;
}

/**
 * One piece's tokens so far, indexed by their `minMatch`-token contexts. With a `PitchReading`,
 * pitch tokens are matched by their interval from the pitch before, so a passage repeated a
 * third higher (a sequence, a theme returning in another key) matches too, and the proposal is
 * moved by the same interval.
 */
export class PieceMemory {
  private readonly tokens: number[] = [];
  /** The stream that is matched: token ids, or intervals for pitch tokens. */
  private readonly shapes: number[] = [];
  /** The last pitch before each position (NaN before the first). */
  private readonly pitchBefore: number[] = [];
  private lastPitch = Number.NaN;
  /** Context key (the `minMatch` shapes before position i) -> positions i, oldest first. */
  private readonly index = new Map<number, number[]>();

  constructor(
    private readonly settings: PieceMemorySettings,
    private readonly pitch?: PitchReading,
  ) {
    if (settings.minMatch < 1 || settings.minMatch > 4) throw new RangeError(`minMatch must be 1 to 4, not ${settings.minMatch}.`);
    if (settings.weights.length !== settings.bandStarts.length * CELL_KINDS) throw new RangeError(`weights must have ${CELL_KINDS} cells per band.`);
  }

  /** Tokens remembered. */
  get length(): number {
    return this.tokens.length;
  }

  /** Appends the next token of the piece (ids below 1024). */
  push(id: number): void {
    const p = this.pitch?.pitchOf(id);
    this.pitchBefore.push(this.lastPitch);
    this.tokens.push(id);
    if (p === undefined) this.shapes.push(id);
    else {
      const interval = Number.isNaN(this.lastPitch) ? p : p - this.lastPitch;
      this.shapes.push(PITCH_SHAPE + INTERVAL_ZERO + Math.max(-INTERVAL_ZERO, Math.min(INTERVAL_ZERO - 1, interval)));
      this.lastPitch = p;
    }
    const i = this.tokens.length - 1;
    if (i < this.settings.minMatch) return;
    const key = this.keyEndingAt(i);
    const list = this.index.get(key);
    if (list) list.push(i);
    else this.index.set(key, [i]);
  }

  /** What followed the longest earlier occurrence(s) of the piece's last tokens; undefined if none. */
  propose(): MemoryProposal | undefined {
    const { minMatch: m, maxMatch } = this.settings;
    const n = this.tokens.length;
    if (n < m) return undefined;
    const candidates = this.index.get(this.keyEndingAt(n));
    if (!candidates) return undefined;
    const t = this.shapes;
    let best = 0;
    let picked: number[] = [];
    let exact = false;
    for (let c = candidates.length - 1; c >= 0 && c >= candidates.length - MAX_CANDIDATES; c--) {
      const i = candidates[c]!;
      const next = this.continuation(i);
      if (next === undefined) continue;
      let len = m;
      while (len < maxMatch && i - 1 - len >= 0 && t[i - 1 - len] === t[n - 1 - len]) len++;
      const before = this.pitchBefore[i]!;
      const same = before === this.lastPitch || (Number.isNaN(before) && Number.isNaN(this.lastPitch));
      if (len > best) {
        best = len;
        picked = [next];
        exact = same;
      } else if (len === best) {
        picked.push(next);
        exact ||= same;
      }
    }
    if (picked.length === 0) return undefined;
    const counts = new Map<number, number>();
    for (const id of picked) counts.set(id, (counts.get(id) ?? 0) + 1);
    const ids = [...counts.keys()].sort((a, b) => a - b);
    const shares = ids.map((id) => counts.get(id)! / picked.length);
    let band = 0;
    while (band + 1 < this.settings.bandStarts.length && best >= this.settings.bandStarts[band + 1]!) band++;
    const kind = picked.length === 1 ? 0 : ids.length === 1 ? 1 : 2;
    return { matchTokens: best, cell: band * CELL_KINDS + kind * 2 + (exact ? 0 : 1), ids, shares };
  }

  /** The token that position i's continuation means now: itself, or its interval from the current pitch. */
  private continuation(i: number): number | undefined {
    const shape = this.shapes[i]!;
    if (shape < PITCH_SHAPE) return shape;
    if (Number.isNaN(this.lastPitch) || Number.isNaN(this.pitchBefore[i]!)) return this.tokens[i];
    return this.pitch!.idOf(this.lastPitch + shape - PITCH_SHAPE - INTERVAL_ZERO);
  }

  /** The weight the settings give a proposal. */
  weightOf(proposal: MemoryProposal): number {
    return this.settings.weights[proposal.cell] ?? 0;
  }

  /**
   * Mixes a proposal into a model distribution in place: `probs` becomes (1-λ) probs + λ memory,
   * λ the fitted weight times `scale` (0..1). Returns λ (0 when there is nothing to mix).
   */
  mixInto(probs: Float32Array | Float64Array, scale = 1): number {
    const p = this.propose();
    if (!p) return 0;
    const lambda = this.weightOf(p) * scale;
    if (lambda <= 0) return 0;
    for (let v = 0; v < probs.length; v++) probs[v]! *= 1 - lambda;
    for (let k = 0; k < p.ids.length; k++) probs[p.ids[k]!]! += lambda * p.shares[k]!;
    return lambda;
  }

  /** Key of the `minMatch` tokens before position `end` (exclusive). */
  private keyEndingAt(end: number): number {
    let key = 0;
    for (let k = end - this.settings.minMatch; k < end; k++) key = key * SHAPE_BASE + this.shapes[k]!;
    return key;
  }
}

/**
 * Half-life of `MemoryBudget`'s running mean, in tokens: about 20 s of the composer's music
 * (12 to 14 tokens a second), a phrase or two.
 */
export const MEMORY_BUDGET_HALF_LIFE = 256;

/**
 * The memory budget generation uses unless told otherwise. Without one, the bundled composer's
 * mean λ rose from 0.33 in a 180-s piece's first third to 0.50 in its last (20 pieces), and the
 * later minutes settled into one texture; of 0.2, 0.3 and 0.4, 0.3 gave the best overlap with the
 * held-out pieces in all three minutes (docs/MODELS.md, "Long form").
 */
export const DEFAULT_MEMORY_BUDGET = 0.3;

/**
 * A soft budget on a sampled piece's reliance on its memory: while the running mean (half-life
 * `halfLife` tokens) of the weight λ the memory got at each draw is above `budget`, λ is scaled
 * by budget / mean. A piece may still repeat whole passages (from a cold start, a copy at λ 0.9
 * keeps its full weight for about 150 tokens under a budget of 0.3), but copying cannot feed on
 * itself for minutes: in a copy that never ends at weight w the mean settles at √(w·budget)
 * (0.52 for 0.9 and 0.3) instead of w. Left alone, a long piece's λ rises and it settles into one
 * texture (docs/MODELS.md, "Long form"). Sampling only; the scorer never uses it. A budget of 1
 * never scales. (A hard cap, λ no more than keeps the mean at the budget, measured worse.)
 */
export class MemoryBudget {
  private mean = 0;
  private readonly keep: number;

  constructor(
    /** Most mean λ allowed, 0..1. */
    readonly budget: number,
    /** Half-life of the running mean, tokens. */
    halfLife = MEMORY_BUDGET_HALF_LIFE,
  ) {
    if (!(budget >= 0)) throw new RangeError(`budget must be at least 0, not ${budget}.`);
    if (!(halfLife > 0)) throw new RangeError(`halfLife must be above 0, not ${halfLife}.`);
    this.keep = Math.pow(0.5, 1 / halfLife);
  }

  /** The running mean of λ so far. */
  get recent(): number {
    return this.mean;
  }

  /** What to multiply the next draw's λ by, 0..1. */
  factor(): number {
    return this.mean > this.budget ? this.budget / this.mean : 1;
  }

  /** Records the λ the memory got at one draw (0 when it proposed nothing). */
  record(lambda: number): void {
    this.mean = this.keep * this.mean + (1 - this.keep) * lambda;
  }
}

/** The pitch reading of a `remi` vocabulary (its `P_<midi>` tokens). */
export function remiPitchReading(tokens: readonly string[]): PitchReading {
  const pitchOfId = tokens.map((t) => {
    const parsed = parseRemiToken(t);
    return parsed?.type === 'pitch' ? parsed.pitch : undefined;
  });
  const idOfPitch = new Map<number, number>();
  pitchOfId.forEach((p, id) => p !== undefined && idOfPitch.set(p, id));
  return { pitchOf: (id) => pitchOfId[id], idOf: (pitch) => idOfPitch.get(pitch) };
}

/** One scored target: which cell the memory's proposal fell in and both models' probability of the truth. */
export interface MemoryObservation {
  cell: number;
  /** The model's probability of the real next token. */
  model: number;
  /** The memory's share for it (0 when it proposed something else). */
  memory: number;
}

/** What fitting found. */
export interface MemoryFit {
  weights: number[];
  /** Targets per cell. */
  counts: number[];
}

/**
 * Maximum-likelihood λ per cell by expectation-maximisation (the mixture's log-likelihood is
 * concave in each λ, so this converges to the optimum). Cells seen fewer than `minCount` times
 * keep λ = 0: too few to trust.
 */
export function fitMemoryWeights(observations: readonly MemoryObservation[], cells: number, minCount = 50, iterations = 60): MemoryFit {
  const counts = new Array<number>(cells).fill(0);
  for (const o of observations) counts[o.cell]!++;
  const weights: number[] = counts.map((c) => (c >= minCount ? 0.3 : 0));
  for (let it = 0; it < iterations; it++) {
    const posterior = new Array<number>(cells).fill(0);
    for (const o of observations) {
      const l = weights[o.cell]!;
      if (counts[o.cell]! < minCount) continue;
      const mixed = (1 - l) * o.model + l * o.memory;
      posterior[o.cell]! += mixed > 0 ? (l * o.memory) / mixed : 0;
    }
    for (let c = 0; c < cells; c++) if (counts[c]! >= minCount) weights[c] = Math.min(0.999, posterior[c]! / counts[c]!);
  }
  return { weights, counts };
}

/** Mean negative log-likelihood (nats) of the observations under the weights, and under the model alone. */
export function memoryNll(observations: readonly MemoryObservation[], weights: readonly number[]): { mixed: number; model: number } {
  let mixed = 0;
  let model = 0;
  for (const o of observations) {
    const l = weights[o.cell] ?? 0;
    mixed -= Math.log(Math.max(1e-30, (1 - l) * o.model + l * o.memory));
    model -= Math.log(Math.max(1e-30, o.model));
  }
  const n = Math.max(1, observations.length);
  return { mixed: mixed / n, model: model / n };
}

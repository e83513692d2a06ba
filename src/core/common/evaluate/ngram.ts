/**
 * Baselines for held-out likelihood on token ids: an interpolated modified Kneser-Ney n-gram
 * model (Chen & Goodman 1998, with KenLM's treatment of the start of a sequence) and the add-one
 * unigram. Both are trained on whole token sequences (pieces); the first token of a sequence is
 * predicted from a start-of-piece context. A sampler draws sequences from the n-gram for an
 * "n-gram composer" baseline. Pure: no I/O. See docs/METRICS.md.
 */
import { Rng } from '../random';

/** A token sequence: ids in 0..vocabSize−1. */
export type IdSequence = ArrayLike<number>;

/** Sum of −ln p over the scored targets, and how many there were. */
export interface NllSum {
  /** Σ −ln p(target | history), in nats. */
  sumNats: number;
  /** Targets scored. */
  targets: number;
  /** The same sum from the model without its piece memory (composer models that have one). */
  withoutMemoryNats?: number;
}

/** Mean NLL in nats per target (NaN with no targets). */
export function meanNll(s: NllSum): number {
  return s.targets ? s.sumNats / s.targets : NaN;
}

/** The add-one unigram of the training sequences: p(t) = (count_t + 1) / (Σ counts + V). */
export class UnigramModel {
  private readonly counts: Float64Array;
  private readonly total: number;

  constructor(
    train: Iterable<IdSequence>,
    /** Ids run 0..vocabSize−1. */
    readonly vocabSize: number,
  ) {
    this.counts = new Float64Array(vocabSize);
    let total = 0;
    for (const seq of train)
      for (let i = 0; i < seq.length; i++) {
        this.counts[checkId(seq[i]!, vocabSize)]!++;
        total++;
      }
    this.total = total + vocabSize;
  }

  /** p(id). */
  probability(id: number): number {
    return ((this.counts[id] ?? 0) + 1) / this.total;
  }

  /** −ln p summed over `seq[from..]`. */
  nll(seq: IdSequence, from = 0): NllSum {
    let sumNats = 0;
    for (let i = from; i < seq.length; i++) sumNats -= Math.log(this.probability(seq[i]!));
    return { sumNats, targets: Math.max(0, seq.length - from) };
  }
}

function checkId(id: number, vocabSize: number): number {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
    throw new RangeError(`Token id ${id} is outside the vocabulary of ${vocabSize} ids.`);
  return id;
}

/** Options of `KneserNeyModel`. */
export interface KneserNeyOptions {
  /** N: the longest n-gram, so a token is predicted from at most N−1 before it (default 5). */
  order?: number;
}

/**
 * Interpolated modified Kneser-Ney:
 * p(w | h) = max(a(hw) − D(a(hw)), 0) / Σ_v a(hv) + γ(h) · p(w | h′), γ(h) = (D₁N₁(h•) + D₂N₂(h•) + D₃N₃₊(h•)) / Σ_v a(hv),
 * h′ = h without its oldest token, down to the uniform 1/V below the unigram. a is the raw count
 * at the highest order and for n-grams that start at the start of a piece, else the number of
 * distinct tokens seen before the n-gram (its continuation count). D₁, D₂, D₃₊ per order from the
 * counts of counts n₁…n₄ of a: Y = n₁/(n₁ + 2n₂), D_c = c − (c + 1)·Y·n_{c+1}/n_c (clamped to 0.1..c).
 *
 * Contexts are nodes of a trie read from the newest token back, so a node's parent is the same
 * context without its oldest token; an n-gram is the key node·(V+1) + w in one Map per order.
 */
export class KneserNeyModel {
  /** N. */
  readonly order: number;
  /** Ids of the modelled tokens run 0..vocabSize−1; id vocabSize is the start of a piece. */
  readonly vocabSize: number;
  /** Target tokens seen in training. */
  readonly trainTokens: number;
  private readonly width: number;
  private readonly bos: number;
  // Trie of contexts: node 0 is the empty context.
  private readonly children = new Map<number, number>();
  private readonly parent: number[] = [-1];
  // counts[m − 1]: key node·width + w → a, for n-grams of m tokens (node of depth m − 1).
  private readonly counts: Map<number, number>[] = [];
  // Per context node: Σ_w a(hw), and how many w have a = 1, 2, ≥ 3.
  private total: Float64Array = new Float64Array(0);
  private n1: Float64Array = new Float64Array(0);
  private n2: Float64Array = new Float64Array(0);
  private n3: Float64Array = new Float64Array(0);
  /** discounts[m − 1] = [0, D₁, D₂, D₃₊] for n-grams of m tokens. */
  readonly discounts: number[][] = [];

  constructor(train: Iterable<IdSequence>, vocabSize: number, options: KneserNeyOptions = {}) {
    const order = options.order ?? 5;
    if (!Number.isInteger(order) || order < 1 || order > 10)
      throw new RangeError(`The n-gram order must be a whole number from 1 to 10, not ${order}.`);
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 65535)
      throw new RangeError(`The vocabulary size must be a whole number from 1 to 65535, not ${vocabSize}.`);
    this.order = order;
    this.vocabSize = vocabSize;
    this.bos = vocabSize;
    this.width = vocabSize + 1;
    for (let m = 0; m < order; m++) this.counts.push(new Map());
    let tokens = 0;
    const history = new Int32Array(order);
    for (const seq of train) {
      // history[0] is the newest token before the target; the start of the piece is a token too.
      let filled = 1;
      history[0] = this.bos;
      for (let i = 0; i < seq.length; i++) {
        const w = checkId(seq[i]!, vocabSize);
        // The longest n-gram ending here: N tokens, or fewer when it reaches the start of the piece.
        const len = Math.min(order - 1, filled);
        let node = 0;
        for (let k = 0; k < len; k++) node = this.child(node, history[k]!, true);
        const map = this.counts[len]!;
        const key = node * this.width + w;
        map.set(key, (map.get(key) ?? 0) + 1);
        for (let k = Math.min(order - 1, filled + 1) - 1; k > 0; k--) history[k] = history[k - 1]!;
        history[0] = w;
        filled = Math.min(order - 1, filled + 1);
        tokens++;
      }
    }
    this.trainTokens = tokens;
    // Continuation counts, from the highest order down: each distinct n-gram is one left extension
    // of its suffix. N-grams that begin at the start of a piece have none and keep their raw counts.
    for (let m = order; m >= 2; m--) {
      const lower = this.counts[m - 2]!;
      for (const key of this.counts[m - 1]!.keys()) {
        const node = Math.floor(key / this.width);
        const w = key - node * this.width;
        const suffixNode = this.parent[node]!;
        const suffixKey = suffixNode * this.width + w;
        lower.set(suffixKey, (lower.get(suffixKey) ?? 0) + 1);
      }
    }
    const nodes = this.parent.length;
    this.total = new Float64Array(nodes);
    this.n1 = new Float64Array(nodes);
    this.n2 = new Float64Array(nodes);
    this.n3 = new Float64Array(nodes);
    for (let m = 1; m <= order; m++) {
      const countOfCounts = [0, 0, 0, 0, 0];
      for (const [key, a] of this.counts[m - 1]!) {
        const node = Math.floor(key / this.width);
        this.total[node]! += a;
        if (a === 1) this.n1[node]!++;
        else if (a === 2) this.n2[node]!++;
        else this.n3[node]!++;
        if (a <= 4) countOfCounts[a]!++;
      }
      this.discounts.push(modifiedDiscounts(countOfCounts));
    }
  }

  private child(node: number, token: number, create: boolean): number {
    const key = node * this.width + token;
    const found = this.children.get(key);
    if (found !== undefined || !create) return found ?? -1;
    const id = this.parent.length;
    this.children.set(key, id);
    this.parent.push(node);
    return id;
  }

  /** Context nodes of `history` (newest token last, `atStart` when it begins at the start of the piece), shortest first. */
  private contextNodes(history: IdSequence, end: number, atStart: boolean, out: number[]): number {
    out[0] = 0;
    let count = 1;
    let node = 0;
    for (let k = 1; k < this.order; k++) {
      const i = end - k;
      const token = i >= 0 ? history[i]! : i === -1 && atStart ? this.bos : -1;
      if (token < 0) break;
      node = this.child(node, token, false);
      if (node < 0) break;
      out[count++] = node;
      if (token === this.bos) break;
    }
    return count;
  }

  private interpolate(nodes: readonly number[], count: number, w: number): number {
    let p = 1 / this.vocabSize;
    for (let k = 0; k < count; k++) {
      const node = nodes[k]!;
      const total = this.total[node]!;
      if (total <= 0) continue;
      const d = this.discounts[k]!;
      const a = this.counts[k]!.get(node * this.width + w) ?? 0;
      const gamma = (d[1]! * this.n1[node]! + d[2]! * this.n2[node]! + d[3]! * this.n3[node]!) / total;
      p = Math.max(a - d[Math.min(a, 3)]!, 0) / total + gamma * p;
    }
    return p;
  }

  /**
   * p(w | the tokens before it): `history` holds the tokens before w, newest last; `atStart`
   * (default true) says `history` begins at the start of the piece.
   */
  probability(w: number, history: IdSequence = [], atStart = true): number {
    const nodes: number[] = [];
    const count = this.contextNodes(history, history.length, atStart, nodes);
    return this.interpolate(nodes, count, w);
  }

  /** −ln p summed over `seq[from..]`, each token predicted from the piece so far (the first from the start of the piece). */
  nll(seq: IdSequence, from = 0): NllSum {
    const nodes: number[] = [];
    let sumNats = 0;
    let targets = 0;
    for (let i = from; i < seq.length; i++) {
      const w = seq[i]!;
      const count = this.contextNodes(seq, i, true, nodes);
      sumNats -= Math.log(this.interpolate(nodes, count, w));
      targets++;
    }
    return { sumNats, targets };
  }

  /** A sampler of sequences from this model (builds a per-context index of its n-grams once). */
  sampler(): NgramSampler {
    return new NgramSampler(this, this.samplingIndex());
  }

  /** For each order, per context node: its words and their discounted counts max(a − D(a), 0). */
  private samplingIndex(): SamplingIndex {
    const levels: SamplingLevel[] = [];
    const nodes = this.parent.length;
    for (let m = 1; m <= this.order; m++) {
      const map = this.counts[m - 1]!;
      const d = this.discounts[m - 1]!;
      const offsets = new Int32Array(nodes + 1);
      for (const key of map.keys()) offsets[Math.floor(key / this.width) + 1]!++;
      for (let n = 0; n < nodes; n++) offsets[n + 1]! += offsets[n]!;
      const fill = offsets.slice(0, nodes);
      const words = new Uint16Array(map.size);
      const weights = new Float64Array(map.size);
      for (const [key, a] of map) {
        const node = Math.floor(key / this.width);
        const at = fill[node]!++;
        words[at] = key - node * this.width;
        weights[at] = Math.max(a - d[Math.min(a, 3)]!, 0);
      }
      levels.push({ offsets, words, weights });
    }
    return {
      levels,
      contextNodes: (h, end, atStart, out) => this.contextNodes(h, end, atStart, out),
      total: this.total,
      gamma: (node, m) => {
        const d = this.discounts[m - 1]!;
        const total = this.total[node]!;
        return (d[1]! * this.n1[node]! + d[2]! * this.n2[node]! + d[3]! * this.n3[node]!) / total;
      },
    };
  }
}

const MIN_DISCOUNT = 0.1;

/** Modified Kneser-Ney discounts [0, D₁, D₂, D₃₊] from the counts of counts n₁…n₄ (index = count). */
export function modifiedDiscounts(n: readonly number[]): number[] {
  const [n1 = 0, n2 = 0, n3 = 0, n4 = 0] = [n[1], n[2], n[3], n[4]];
  const y = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0;
  // With too few counts of counts the estimate is undefined: fall back to the usual values. A
  // discount of 0 would leave no mass for unseen tokens (p = 0), so it is floored at 0.1.
  const d = (c: number, nc: number, next: number, fallback: number): number => {
    const v = nc > 0 ? c - (c + 1) * y * (next / nc) : fallback;
    return Number.isFinite(v) ? Math.min(c, Math.max(MIN_DISCOUNT, v)) : fallback;
  };
  return [0, d(1, n1, n2, 0.5), d(2, n2, n3, 1), d(3, n3, n4, 1.5)];
}

interface SamplingLevel {
  offsets: Int32Array;
  words: Uint16Array;
  weights: Float64Array;
}

interface SamplingIndex {
  levels: SamplingLevel[];
  contextNodes(history: IdSequence, end: number, atStart: boolean, out: number[]): number;
  total: Float64Array;
  gamma(node: number, order: number): number;
}

/**
 * Draws tokens from a `KneserNeyModel` exactly: at the longest known context, with probability
 * 1 − γ(h) a word ∝ its discounted count, else the same one order down, and below the unigram a
 * uniform id. Seeded, so a seed gives the same sequence.
 */
export class NgramSampler {
  private readonly nodes: number[] = [];

  /** @internal use `KneserNeyModel.sampler()`. */
  constructor(
    private readonly model: KneserNeyModel,
    private readonly index: SamplingIndex,
  ) {}

  /** The next id after `history` (the piece so far, from its start). */
  next(history: IdSequence, rng: Rng): number {
    const count = this.index.contextNodes(history, history.length, true, this.nodes);
    for (let k = count - 1; k >= 0; k--) {
      const node = this.nodes[k]!;
      const total = this.index.total[node]!;
      if (total <= 0) continue;
      if (rng.next() < this.index.gamma(node, k + 1)) continue;
      const level = this.index.levels[k]!;
      const start = level.offsets[node]!;
      const end = level.offsets[node + 1]!;
      let mass = 0;
      for (let i = start; i < end; i++) mass += level.weights[i]!;
      let u = rng.next() * mass;
      for (let i = start; i < end; i++) {
        u -= level.weights[i]!;
        if (u < 0) return level.words[i]!;
      }
      return level.words[end - 1]!;
    }
    return Math.min(this.model.vocabSize - 1, Math.floor(rng.next() * this.model.vocabSize));
  }

  /** `length` ids from the start of a piece, drawn with `seed`; `stop` may end it early (called after each id). */
  sample(length: number, seed: number, stop?: (ids: readonly number[]) => boolean): number[] {
    const rng = new Rng(seed);
    const ids: number[] = [];
    while (ids.length < length) {
      ids.push(this.next(ids, rng));
      if (stop?.(ids)) break;
    }
    return ids;
  }
}

/**
 * Held-out likelihood: negative log-likelihood per event (in nats) and perplexity = exp(NLL), for a
 * model's predicted next-token distributions and for the unigram baseline (token frequencies of the
 * training split, add-one smoothed). A model that does not beat the unigram has learned no sequence.
 */

/** Likelihood of a set of held-out targets. */
export interface Likelihood {
  /** Targets scored. */
  events: number;
  /** Mean −ln p(target), in nats per event (NaN with no events). */
  nllPerEvent: number;
  /** exp(nllPerEvent): the effective number of equally likely choices per event. */
  perplexity: number;
}

/** The smallest probability counted, so one impossible target gives a large finite loss, not Infinity. */
export const PROBABILITY_FLOOR = 1e-12;

/** Sums −ln p over batches of predicted distributions, then reports the mean. */
export class LikelihoodAccumulator {
  private sum = 0;
  private count = 0;

  /**
   * Adds a batch: `probabilities` holds one row of `vocabSize` probabilities per target
   * (row-major, as a softmax output), `targets` the true next token id of each row.
   */
  addBatch(probabilities: Float32Array, vocabSize: number, targets: ArrayLike<number>): void {
    if (probabilities.length !== targets.length * vocabSize)
      throw new RangeError(
        `Got ${probabilities.length} probabilities for ${targets.length} targets of a ${vocabSize}-token vocabulary.`,
      );
    for (let r = 0; r < targets.length; r++) {
      const t = targets[r]!;
      const p = t >= 0 && t < vocabSize ? probabilities[r * vocabSize + t]! : 0;
      this.sum -= Math.log(Math.max(PROBABILITY_FLOOR, p));
      this.count++;
    }
  }

  /** The mean so far. */
  result(): Likelihood {
    const nll = this.count ? this.sum / this.count : NaN;
    return { events: this.count, nllPerEvent: nll, perplexity: Math.exp(nll) };
  }
}

/** How often each id 0..vocabSize−1 occurs in `ids`: the counts `unigramLikelihood` smooths. */
export function tokenCounts(ids: Iterable<number>, vocabSize: number): Float64Array {
  const counts = new Float64Array(vocabSize);
  for (const id of ids) counts[id]!++;
  return counts;
}

/**
 * The unigram baseline: each target scored with p(t) = (count_t + 1) / (Σ counts + V), the
 * training-split frequencies of `counts` (length V) with add-one smoothing. Every model's training
 * reports this against its held-out loss.
 */
export function unigramLikelihood(counts: ArrayLike<number>, targets: Iterable<number>): Likelihood {
  let total = counts.length;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  let sum = 0;
  let events = 0;
  for (const t of targets) {
    sum -= Math.log(((counts[t] ?? 0) + 1) / total);
    events++;
  }
  const nll = events ? sum / events : NaN;
  return { events, nllPerEvent: nll, perplexity: Math.exp(nll) };
}

import { describe, expect, it } from 'vitest';
import { LikelihoodAccumulator, tokenCounts, unigramLikelihood } from './likelihood';

describe('LikelihoodAccumulator', () => {
  it('averages −ln p(target) over batches: p = 1/2 and 1/4 give (ln 2 + ln 4) / 2', () => {
    const acc = new LikelihoodAccumulator();
    acc.addBatch(Float32Array.from([0.5, 0.25, 0.25]), 3, [0]);
    acc.addBatch(Float32Array.from([0.25, 0.5, 0.25]), 3, [2]);
    const r = acc.result();
    expect(r.events).toBe(2);
    expect(r.nllPerEvent).toBeCloseTo((Math.log(2) + Math.log(4)) / 2, 6);
    expect(r.perplexity).toBeCloseTo(Math.sqrt(8), 5);
  });

  it('a uniform model over V tokens has perplexity V', () => {
    const acc = new LikelihoodAccumulator();
    acc.addBatch(new Float32Array(8).fill(0.25), 4, [0, 3]);
    expect(acc.result().perplexity).toBeCloseTo(4, 5);
  });

  it('floors an impossible target instead of returning Infinity, and checks shapes', () => {
    const acc = new LikelihoodAccumulator();
    acc.addBatch(Float32Array.from([1, 0]), 2, [1]);
    expect(acc.result().nllPerEvent).toBeCloseTo(-Math.log(1e-12), 6);
    expect(() => acc.addBatch(new Float32Array(3), 2, [0])).toThrow(RangeError);
    expect(new LikelihoodAccumulator().result().nllPerEvent).toBeNaN();
  });
});

describe('unigramLikelihood', () => {
  it('scores targets by add-one smoothed training frequencies', () => {
    // counts 3, 1, 0 -> p = 4/7, 2/7, 1/7.
    const r = unigramLikelihood([3, 1, 0], [0, 1, 2]);
    expect(r.nllPerEvent).toBeCloseTo(-(Math.log(4 / 7) + Math.log(2 / 7) + Math.log(1 / 7)) / 3, 10);
    expect(r.events).toBe(3);
  });

  it('counts training ids and reads targets from any iterable, as the trainers pass them', () => {
    const counts = tokenCounts(Uint16Array.from([0, 0, 0, 1]), 3);
    expect(Array.from(counts)).toEqual([3, 1, 0]);
    const fromGenerator = unigramLikelihood(counts, (function* () { yield 0; yield 1; yield 2; })());
    expect(fromGenerator.nllPerEvent).toBeCloseTo(unigramLikelihood([3, 1, 0], [0, 1, 2]).nllPerEvent, 12);
    expect(unigramLikelihood(counts, []).nllPerEvent).toBeNaN();
  });
});

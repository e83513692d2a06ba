import { describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { KneserNeyModel, meanNll, modifiedDiscounts, UnigramModel } from './ngram';

/** Pieces built from a few motifs, so the next token is predictable from the last few. */
function motifPieces(pieces: number, length: number, seed: number): number[][] {
  const rng = new Rng(seed);
  const motifs = [
    [3, 7, 5, 9],
    [1, 2, 3, 4, 5],
    [11, 10, 8],
    [6, 6, 12, 0],
  ];
  return Array.from({ length: pieces }, () => {
    const out: number[] = [];
    while (out.length < length) out.push(...motifs[rng.int(motifs.length)]!);
    return out.slice(0, length);
  });
}

describe('modifiedDiscounts', () => {
  it('follows Chen & Goodman from the counts of counts', () => {
    // n1..n4 = 10, 5, 3, 2: Y = 0.5; D1 = 1 − 2·0.5·5/10, D2 = 2 − 3·0.5·3/5, D3 = 3 − 4·0.5·2/3.
    const d = modifiedDiscounts([0, 10, 5, 3, 2]);
    expect(d[1]).toBeCloseTo(0.5, 12);
    expect(d[2]).toBeCloseTo(1.1, 12);
    expect(d[3]).toBeCloseTo(3 - 4 / 3, 12);
  });
});

describe('KneserNeyModel', () => {
  it('gives hand-computed values on a tiny corpus', () => {
    // Unigram only, [0 0 1], V = 3: D1 = 1/3, D2 = 2 (clamped), γ = 7/9 → p = 7/27, 13/27, 7/27.
    const uni = new KneserNeyModel([[0, 0, 1]], 3, { order: 1 });
    expect(uni.probability(0)).toBeCloseTo(7 / 27, 12);
    expect(uni.probability(1)).toBeCloseTo(13 / 27, 12);
    expect(uni.probability(2)).toBeCloseTo(7 / 27, 12);
    // Bigram, [0 1 0 1], V = 2: continuation counts 2, 1; p1 = 7/18, 11/18; after the start of the
    // piece (raw count 1 for "start 0", D1 = 1/2, γ = 1/2): p(0 | start) = 1/2 + 7/36.
    const bi = new KneserNeyModel([[0, 1, 0, 1]], 2, { order: 2 });
    expect(bi.probability(0, [], false)).toBeCloseTo(7 / 18, 12);
    expect(bi.probability(0)).toBeCloseTo(25 / 36, 12);
    expect(bi.probability(1)).toBeCloseTo(11 / 36, 12);
    expect(bi.probability(1, [0], false)).toBeCloseTo(11 / 18, 12);
    expect(bi.trainTokens).toBe(4);
  });

  it('sums to 1 over the vocabulary in seen, unseen and start-of-piece contexts', () => {
    const train = motifPieces(20, 200, 1);
    const model = new KneserNeyModel(train, 16, { order: 5 });
    const contexts: [number[], boolean][] = [
      [[], true],
      [[3], true],
      [[3, 7, 5], false],
      [[1, 2, 3, 4], false],
      [[15, 14, 13, 15], false],
      [[6, 6, 12], true],
    ];
    for (const [h, atStart] of contexts) {
      let sum = 0;
      for (let w = 0; w < 16; w++) {
        const p = model.probability(w, h, atStart);
        expect(p).toBeGreaterThan(0);
        sum += p;
      }
      expect(sum).toBeCloseTo(1, 10);
    }
  });

  it('beats the unigram on structured held-out pieces, and more context helps', () => {
    const train = motifPieces(30, 300, 2);
    const test = motifPieces(5, 300, 3);
    const score = (m: { nll(s: number[]): { sumNats: number; targets: number } }): number => {
      let sumNats = 0;
      let targets = 0;
      for (const s of test) {
        const r = m.nll(s);
        sumNats += r.sumNats;
        targets += r.targets;
      }
      return meanNll({ sumNats, targets });
    };
    const unigram = score(new UnigramModel(train, 16));
    const bigram = score(new KneserNeyModel(train, 16, { order: 2 }));
    const fivegram = score(new KneserNeyModel(train, 16, { order: 5 }));
    expect(bigram).toBeLessThan(unigram - 0.5);
    expect(fivegram).toBeLessThan(bigram);
    // Motif boundaries are the only uncertainty: ln 4 per motif of 3–5 tokens at most.
    expect(fivegram).toBeLessThan(Math.log(4) / 3 + 0.15);
  });

  it('scores a sequence as the sum of its conditional probabilities', () => {
    const model = new KneserNeyModel(motifPieces(10, 100, 4), 16, { order: 3 });
    const seq = [3, 7, 5, 9, 1, 2, 14];
    let expected = 0;
    for (let i = 2; i < seq.length; i++) expected -= Math.log(model.probability(seq[i]!, seq.slice(0, i)));
    const r = model.nll(seq, 2);
    expect(r.targets).toBe(5);
    expect(r.sumNats).toBeCloseTo(expected, 10);
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => new KneserNeyModel([[0, 4]], 4)).toThrow(/outside the vocabulary/);
  });

  it('samples with the model’s own probabilities, the same for the same seed', () => {
    const model = new KneserNeyModel(motifPieces(10, 100, 5), 16, { order: 3 });
    const sampler = model.sampler();
    const history = [5, 9];
    const rng = new Rng(9);
    const draws = 20000;
    const freq = new Array<number>(16).fill(0);
    for (let i = 0; i < draws; i++) freq[sampler.next(history, rng)]!++;
    for (let w = 0; w < 16; w++) {
      const p = model.probability(w, history);
      expect(Math.abs(freq[w]! / draws - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws) + 1e-3);
    }
    expect(sampler.sample(50, 3)).toEqual(sampler.sample(50, 3));
    expect(sampler.sample(50, 3)).not.toEqual(sampler.sample(50, 4));
  });

  it('trains on a million tokens in seconds', () => {
    const rng = new Rng(1);
    const pieces = Array.from({ length: 100 }, () => Uint16Array.from({ length: 10000 }, () => rng.int(300)));
    const t0 = performance.now();
    const model = new KneserNeyModel(pieces, 300, { order: 5 });
    expect(model.trainTokens).toBe(1_000_000);
    expect(performance.now() - t0).toBeLessThan(30000);
  });
});

describe('UnigramModel', () => {
  it('is add-one smoothed', () => {
    const u = new UnigramModel([[0, 0, 1]], 4);
    expect(u.probability(0)).toBeCloseTo(3 / 7, 12);
    expect(u.probability(3)).toBeCloseTo(1 / 7, 12);
    expect(u.nll([0, 3]).sumNats).toBeCloseTo(-Math.log(3 / 7) - Math.log(1 / 7), 12);
  });
});

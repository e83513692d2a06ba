import { describe, expect, it } from 'vitest';
import type { MemoryObservation, PieceMemorySettings, PitchReading } from './pieceMemory';
import { fitMemoryWeights, MemoryBudget, memoryNll, PieceMemory, untrainedMemory } from './pieceMemory';

const settings = (weights?: number[]): PieceMemorySettings => {
  const s = untrainedMemory();
  return weights ? { ...s, weights } : s;
};

function memoryOf(tokens: number[], s = settings()): PieceMemory {
  const m = new PieceMemory(s);
  for (const t of tokens) m.push(t);
  return m;
}

describe('PieceMemory', () => {
  it('proposes nothing until the last four tokens occurred before', () => {
    expect(memoryOf([1, 2, 3]).propose()).toBeUndefined();
    expect(memoryOf([1, 2, 3, 4, 5, 6, 7, 8]).propose()).toBeUndefined();
  });

  it('proposes what followed the earlier occurrence, with the match length', () => {
    const p = memoryOf([9, 1, 2, 3, 4, 5, 8, 1, 2, 3, 4]).propose();
    expect(p).toEqual({ matchTokens: 4, cell: 0, ids: [5], shares: [1] });
  });

  it('prefers the longest match and shares among equally long ones', () => {
    // "1 2 3 4" occurs twice: after 7 (followed by 5) and after 6 (followed by 9); the end is "6 1 2 3 4".
    const p = memoryOf([7, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 9, 0, 6, 1, 2, 3, 4]).propose()!;
    expect(p.matchTokens).toBe(5);
    expect(p.ids).toEqual([9]);
    // Two five-token matches with different continuations share evenly (and are not "agreed").
    const q = memoryOf([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0, 1, 2, 3, 4]).propose()!;
    expect(q.matchTokens).toBe(5);
    expect(q.ids).toEqual([5, 6]);
    expect(q.shares).toEqual([0.5, 0.5]);
    expect(q.cell % 6).toBe(4);
  });

  it('caps the match at maxMatch and puts it in the last band', () => {
    const motif = Array.from({ length: 100 }, (_, i) => i % 37);
    const p = memoryOf([...motif, ...motif.slice(0, 90)]).propose()!;
    expect(p.matchTokens).toBe(64);
    // The passage occurred once before: kind 0 of the last band.
    expect(p.cell).toBe((untrainedMemory().bandStarts.length - 1) * 6);
  });

  it('with a pitch reading, finds a passage played in another key and moves its proposal', () => {
    // Ids 0..9 are other tokens, 100 + p is pitch p (as a remi vocabulary has P_<p> tokens).
    const reading: PitchReading = { pitchOf: (id) => (id >= 100 ? id - 100 : undefined), idOf: (p) => (p >= 0 && p < 128 ? 100 + p : undefined) };
    const phrase = (root: number): number[] => [1, 100 + root, 2, 100 + root + 4, 3, 100 + root + 7, 2];
    const m = new PieceMemory(untrainedMemory(), reading);
    for (const id of [...phrase(60), 100 + 72, 5, ...phrase(62)]) m.push(id);
    const p = m.propose()!;
    // The phrase a tone higher: what followed it (pitch 72 after 67) is proposed a tone higher, 74.
    expect(p.ids).toEqual([100 + 74]);
    expect(p.cell % 2).toBe(1);
    // Without the reading, only the exact tokens match: the transposed phrase shares too little.
    const plain = new PieceMemory(untrainedMemory());
    for (const id of [...phrase(60), 100 + 72, 5, ...phrase(62)]) plain.push(id);
    expect(plain.propose()).toBeUndefined();
    // The same phrase in the same key is an exact match (even cell).
    const same = new PieceMemory(untrainedMemory(), reading);
    for (const id of [...phrase(60), 100 + 72, 5, 100 + 55, ...phrase(60)]) same.push(id);
    expect(same.propose()!.ids).toEqual([100 + 72]);
    expect(same.propose()!.cell % 2).toBe(0);
  });

  it('mixes its proposal into a distribution that still sums to one', () => {
    const s = settings();
    s.weights = s.weights.map(() => 0.25);
    const m = memoryOf([9, 1, 2, 3, 4, 5, 8, 1, 2, 3, 4], s);
    const probs = new Float32Array(10).fill(0.1);
    expect(m.mixInto(probs)).toBe(0.25);
    expect(probs[5]).toBeCloseTo(0.75 * 0.1 + 0.25, 6);
    expect(probs[0]).toBeCloseTo(0.075, 6);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // With the untrained (all-zero) weights the model's distribution is left alone.
    const plain = new Float32Array(10).fill(0.1);
    expect(memoryOf([9, 1, 2, 3, 4, 5, 8, 1, 2, 3, 4]).mixInto(plain)).toBe(0);
    expect([...plain]).toEqual(new Array(10).fill(Math.fround(0.1)));
  });
});

describe('fitMemoryWeights', () => {
  it('finds the maximum-likelihood weight of each cell', () => {
    // The memory is right 70% of the time, the model gives the truth 0.1: the optimum is λ = 2/3
    // (d/dλ [0.7 ln(0.1 + 0.9λ) + 0.3 ln(0.1(1-λ))] = 0).
    const obs: MemoryObservation[] = [];
    for (let i = 0; i < 1000; i++) obs.push({ cell: 3, model: 0.1, memory: i % 10 < 7 ? 1 : 0 });
    // A cell where the memory is always wrong gets no weight; one seen too rarely stays at 0.
    for (let i = 0; i < 200; i++) obs.push({ cell: 0, model: 0.3, memory: 0 });
    for (let i = 0; i < 10; i++) obs.push({ cell: 5, model: 0.1, memory: 1 });
    const fit = fitMemoryWeights(obs, 6, 50, 200);
    expect(fit.weights[3]).toBeCloseTo(2 / 3, 2);
    expect(fit.weights[0]).toBeLessThan(1e-6);
    expect(fit.weights[5]).toBe(0);
    expect(fit.counts).toEqual([200, 0, 0, 1000, 0, 10]);
    const nll = memoryNll(obs, fit.weights);
    expect(nll.mixed).toBeLessThan(nll.model);
  });
});

describe('MemoryBudget', () => {
  it('gives a repeat full weight at first, then scales it down so the running mean stays near the budget', () => {
    const budget = new MemoryBudget(0.3, 256);
    const applied: number[] = [];
    for (let t = 0; t < 3000; t++) {
      const lambda = 0.9 * budget.factor();
      applied.push(lambda);
      budget.record(lambda);
    }
    // From a cold start the mean reaches 0.3 after 256 * log2(1.5) = 150 draws at 0.9.
    expect(applied.slice(0, 149).every((l) => l === 0.9)).toBe(true);
    expect(applied[200]).toBeLessThan(0.9);
    // In a copy that never ends the mean settles at sqrt(0.9 * 0.3), and so does each draw's weight.
    expect(budget.recent).toBeCloseTo(Math.sqrt(0.27), 3);
    expect(applied[2999]).toBeCloseTo(Math.sqrt(0.27), 3);
  });

  it('never scales at a budget of 1, and refuses a negative budget', () => {
    const budget = new MemoryBudget(1);
    for (let t = 0; t < 500; t++) budget.record(0.99);
    expect(budget.factor()).toBe(1);
    expect(() => new MemoryBudget(-0.1)).toThrow(RangeError);
  });
});

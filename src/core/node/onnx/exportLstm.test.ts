import { describe, expect, it } from 'vitest';
import { ModelError } from '../../common/errors';
import type { LstmArchitecture } from '../../common/models/lstm';
import { Rng } from '../../common/random';
import { buildLstmOnnx } from './exportLstm';
import { openOnnxLstm } from './session';
import { randomWeights, referenceForward } from './testing';

async function maxDifference(a: LstmArchitecture, seed: number, batch: number): Promise<number> {
  const weights = randomWeights(a, seed);
  const session = await openOnnxLstm(buildLstmOnnx(a, weights), a.window, a.vocabSize, { intraOpThreads: 1 });
  const rng = new Rng(seed + 1);
  const windows = Int32Array.from({ length: batch * a.window }, () => rng.int(a.vocabSize));
  const probs = await session.predict(windows, batch);
  await session.dispose();
  expect(probs.length).toBe(batch * a.vocabSize);
  let worst = 0;
  for (let b = 0; b < batch; b++) {
    const expected = referenceForward(a, weights, Array.from(windows.subarray(b * a.window, (b + 1) * a.window)));
    for (let v = 0; v < a.vocabSize; v++) worst = Math.max(worst, Math.abs(probs[b * a.vocabSize + v]! - expected[v]!));
  }
  return worst;
}

describe('buildLstmOnnx', () => {
  it('matches the reference forward pass for a two-layer BiLSTM with an embedding, batched', async () => {
    const a: LstmArchitecture = { vocabSize: 23, window: 7, embedding: 5, lstmUnits: [6, 4], denseUnits: 8, dropout: 0 };
    expect(await maxDifference(a, 11, 3)).toBeLessThan(1e-5);
  });

  it('matches the reference forward pass without an embedding (one-hot input)', async () => {
    const a: LstmArchitecture = { vocabSize: 13, window: 5, embedding: 0, lstmUnits: [7], denseUnits: 6, dropout: 0 };
    expect(await maxDifference(a, 5, 2)).toBeLessThan(1e-5);
  });

  it('matches the reference forward pass for the float-input baseline (id / vocabSize)', async () => {
    const a: LstmArchitecture = { vocabSize: 17, window: 6, embedding: 0, lstmUnits: [5, 3], denseUnits: 4, dropout: 0, floatInput: true };
    expect(await maxDifference(a, 8, 2)).toBeLessThan(1e-5);
  });

  it('gives probabilities that sum to one per window', async () => {
    const a: LstmArchitecture = { vocabSize: 9, window: 4, embedding: 3, lstmUnits: [5], denseUnits: 4, dropout: 0 };
    const session = await openOnnxLstm(buildLstmOnnx(a, randomWeights(a, 2)), a.window, a.vocabSize);
    const probs = await session.predict(new Int32Array([0, 1, 2, 3, 8, 8, 8, 8]), 2);
    await session.dispose();
    expect(probs.subarray(0, 9).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(probs.subarray(9).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
  });

  it('refuses weights of the wrong size, naming the weight', () => {
    const a: LstmArchitecture = { vocabSize: 9, window: 4, embedding: 3, lstmUnits: [5], denseUnits: 4, dropout: 0 };
    const weights = randomWeights(a, 3);
    weights.set('dense_bias', new Float32Array(3));
    expect(() => buildLstmOnnx(a, weights)).toThrow(ModelError);
    expect(() => buildLstmOnnx(a, weights)).toThrow(/dense_bias/);
    weights.set('dense_bias', new Float32Array(4));
    weights.delete('output_kernel');
    expect(() => buildLstmOnnx(a, weights)).toThrow(/lack "output_kernel"/);
  });

  it('refuses ids outside the vocabulary and windows of the wrong length', async () => {
    const a: LstmArchitecture = { vocabSize: 9, window: 4, embedding: 3, lstmUnits: [5], denseUnits: 4, dropout: 0 };
    const session = await openOnnxLstm(buildLstmOnnx(a, randomWeights(a, 4)), a.window, a.vocabSize);
    await expect(session.predict(new Int32Array([0, 1, 2, 9]), 1)).rejects.toThrow(/outside the model's vocabulary/);
    await expect(session.predict(new Int32Array([0, 1, 2]), 1)).rejects.toThrow(/windows of 4 tokens/);
    await session.dispose();
  });
});

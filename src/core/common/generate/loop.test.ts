import { describe, expect, it } from 'vitest';
import { CancelledError } from '../errors';
import type { PredictFn } from './loop';
import { sampleSequences } from './loop';
import { DEFAULT_SAMPLING } from './sampling';

/** A fake model: the next token is (last + 1) mod V with probability 0.9, else anything. */
function countingModel(vocabSize: number, window: number, calls: number[]): PredictFn {
  return (windows, batchSize) => {
    calls.push(batchSize);
    const out = new Float32Array(batchSize * vocabSize).fill(0.1 / (vocabSize - 1));
    for (let b = 0; b < batchSize; b++) out[b * vocabSize + ((windows[(b + 1) * window - 1]! + 1) % vocabSize)] = 0.9;
    return out;
  };
}

const options = { window: 4, vocabSize: 10, maxEvents: 30, sampling: { ...DEFAULT_SAMPLING, topP: 0.5 } };

describe('sampleSequences', () => {
  it('follows the model and slides the window', async () => {
    const [seq] = await sampleSequences(countingModel(10, 4, []), [{ context: [0, 1, 2, 3], seed: 1 }], options);
    expect(seq).toEqual(Array.from({ length: 30 }, (_, i) => (4 + i) % 10));
  });

  it('gives each piece the same events alone or in a batch, one predict call per step', async () => {
    const model: PredictFn = (windows, batchSize) => {
      // A model whose output depends on the whole window, so a wrong window would show.
      const out = new Float32Array(batchSize * 10);
      for (let b = 0; b < batchSize; b++) {
        let h = 0;
        for (let t = 0; t < 4; t++) h = (h * 31 + windows[b * 4 + t]!) % 1000;
        for (let v = 0; v < 10; v++) out[b * 10 + v] = 1 + ((h * (v + 1)) % 7);
        const sum = out.subarray(b * 10, b * 10 + 10).reduce((s, x) => s + x, 0);
        for (let v = 0; v < 10; v++) out[b * 10 + v]! /= sum;
      }
      return out;
    };
    const requests = [0, 1, 2].map((i) => ({ context: [i, 2, 4, 6], seed: 100 + i }));
    const calls: number[] = [];
    const batched = await sampleSequences((w, b) => (calls.push(b), model(w, b)), requests, { ...options, sampling: DEFAULT_SAMPLING });
    expect(calls).toEqual(new Array<number>(30).fill(3));
    for (let i = 0; i < 3; i++) {
      const [alone] = await sampleSequences(model, [requests[i]!], { ...options, sampling: DEFAULT_SAMPLING });
      expect(batched[i]).toEqual(alone);
    }
    expect(batched[0]).not.toEqual(batched[1]);
  });

  it('ends pieces early when isComplete says so, shrinking the batch', async () => {
    const calls: number[] = [];
    const out = await sampleSequences(
      countingModel(10, 4, calls),
      [
        { context: [0, 0, 0, 0], seed: 1 },
        { context: [0, 0, 0, 0], seed: 2 },
      ],
      { ...options, isComplete: (i, gen) => gen.length >= (i === 0 ? 3 : 5) },
    );
    expect(out.map((s) => s.length)).toEqual([3, 5]);
    expect(calls).toEqual([2, 2, 2, 1, 1]);
  });

  it('splits a large batch into calls of batchSize rows', async () => {
    const calls: number[] = [];
    const requests = Array.from({ length: 5 }, (_, i) => ({ context: [0, 0, 0, i], seed: i }));
    await sampleSequences(countingModel(10, 4, calls), requests, { ...options, maxEvents: 2, batchSize: 2 });
    expect(calls).toEqual([2, 2, 1, 2, 2, 1]);
  });

  it('reports progress and stops with CancelledError when aborted', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = sampleSequences(countingModel(10, 4, []), [{ context: [0, 0, 0, 0], seed: 1 }], options, {
      signal: controller.signal,
      onProgress: (e) => {
        seen.push(e.done);
        if (e.done === 5) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(CancelledError);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a context of the wrong length', async () => {
    await expect(sampleSequences(countingModel(10, 4, []), [{ context: [1, 2], seed: 1 }], options)).rejects.toThrow(/4 ids/);
  });
});

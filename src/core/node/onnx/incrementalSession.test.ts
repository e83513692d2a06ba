import { describe, expect, it } from 'vitest';
import type { LstmArchitecture } from '../../common/models/lstm';
import { Rng } from '../../common/random';
import { buildLstmOnnx } from './exportLstm';
import { openIncrementalOnnxLstm } from './incrementalSession';
import { openOnnxLstm } from './session';
import { randomWeights, referenceForward } from './testing';

/**
 * Feeds both sessions the same calls: pieces that grow one token per call, with the batch changing
 * along the way (a piece leaves, a new one joins, two rows share a window), and returns the largest
 * difference between the incremental session, the whole-window graph and the float64 reference.
 */
async function compareOnSlidingWindows(a: LstmArchitecture, seed: number, threads = 1): Promise<{ vsWindow: number; vsReference: number; calls: number }> {
  const weights = randomWeights(a, seed);
  const whole = await openOnnxLstm(buildLstmOnnx(a, weights), a.window, a.vocabSize);
  const incremental = await openIncrementalOnnxLstm(a, weights, { intraOpThreads: threads });
  const rng = new Rng(seed + 7);
  const fresh = (): number[] => Array.from({ length: a.window }, () => rng.int(a.vocabSize));
  let pieces = [fresh(), fresh(), fresh()];
  let vsWindow = 0;
  let vsReference = 0;
  let calls = 0;
  for (let step = 0; step < 3 * a.window; step++) {
    if (step === a.window) pieces = [pieces[0]!, pieces[2]!]; // a piece finished
    if (step === a.window + 3) pieces.push(fresh()); // a new piece starts mid-stream
    if (step === 2 * a.window) pieces.push([...pieces[0]!]); // two rows with the same window
    const batch = pieces.length;
    const windows = new Int32Array(batch * a.window);
    pieces.forEach((p, b) => windows.set(p.slice(-a.window), b * a.window));
    const expected = await whole.predict(windows, batch);
    const got = await incremental.predict(windows, batch);
    calls++;
    for (let i = 0; i < expected.length; i++) vsWindow = Math.max(vsWindow, Math.abs(expected[i]! - got[i]!));
    if (step % 5 === 0) {
      const reference = referenceForward(a, weights, Array.from(windows.subarray(0, a.window)));
      for (let v = 0; v < a.vocabSize; v++) vsReference = Math.max(vsReference, Math.abs(reference[v]! - got[v]!));
    }
    for (const p of pieces) p.push(rng.int(a.vocabSize));
  }
  await whole.dispose();
  await incremental.dispose();
  return { vsWindow, vsReference, calls };
}

describe('openIncrementalOnnxLstm', () => {
  it('gives the whole-window probabilities for a two-layer BiLSTM with an embedding, as pieces slide, leave and join', async () => {
    const a: LstmArchitecture = { vocabSize: 23, window: 7, embedding: 5, lstmUnits: [6, 4], denseUnits: 8, dropout: 0 };
    const { vsWindow, vsReference, calls } = await compareOnSlidingWindows(a, 11);
    expect(calls).toBe(21);
    expect(vsWindow).toBeLessThan(1e-5);
    expect(vsReference).toBeLessThan(1e-5);
  });

  it('does the same for one layer with a one-hot input, and for three layers on two threads', async () => {
    const oneLayer: LstmArchitecture = { vocabSize: 13, window: 5, embedding: 0, lstmUnits: [7], denseUnits: 6, dropout: 0 };
    const r1 = await compareOnSlidingWindows(oneLayer, 5);
    expect(r1.vsWindow).toBeLessThan(1e-5);
    expect(r1.vsReference).toBeLessThan(1e-5);
    const threeLayers: LstmArchitecture = { vocabSize: 17, window: 6, embedding: 4, lstmUnits: [5, 6, 3], denseUnits: 5, dropout: 0 };
    const r3 = await compareOnSlidingWindows(threeLayers, 9, 2);
    expect(r3.vsWindow).toBeLessThan(1e-5);
    expect(r3.vsReference).toBeLessThan(1e-5);
  });

  it('does the same for the float-input baseline and a window of one token', async () => {
    const baseline: LstmArchitecture = { vocabSize: 17, window: 6, embedding: 0, lstmUnits: [5, 3], denseUnits: 4, dropout: 0, floatInput: true };
    expect((await compareOnSlidingWindows(baseline, 8)).vsWindow).toBeLessThan(1e-5);
    const single: LstmArchitecture = { vocabSize: 11, window: 1, embedding: 3, lstmUnits: [4], denseUnits: 4, dropout: 0 };
    expect((await compareOnSlidingWindows(single, 3)).vsReference).toBeLessThan(1e-5);
  });

  it('answers any window, not only a slid one, and the same window twice alike', async () => {
    const a: LstmArchitecture = { vocabSize: 9, window: 4, embedding: 3, lstmUnits: [5, 4], denseUnits: 4, dropout: 0 };
    const weights = randomWeights(a, 2);
    const session = await openIncrementalOnnxLstm(a, weights);
    const windows = [
      [1, 2, 3, 4],
      [8, 0, 8, 0],
      [1, 2, 3, 4],
      [2, 3, 4, 5],
    ];
    for (const w of windows) {
      const got = await session.predict(Int32Array.from(w), 1);
      const expected = referenceForward(a, weights, w);
      for (let v = 0; v < a.vocabSize; v++) expect(Math.abs(got[v]! - expected[v]!)).toBeLessThan(1e-5);
    }
    await session.dispose();
  });

  it('refuses ids outside the vocabulary and windows of the wrong length, and calls after dispose', async () => {
    const a: LstmArchitecture = { vocabSize: 9, window: 4, embedding: 3, lstmUnits: [5], denseUnits: 4, dropout: 0 };
    const session = await openIncrementalOnnxLstm(a, randomWeights(a, 4));
    await expect(session.predict(new Int32Array([0, 1, 2, 9]), 1)).rejects.toThrow(/outside the model's vocabulary/);
    await expect(session.predict(new Int32Array([0, 1, 2]), 1)).rejects.toThrow(/windows of 4 tokens/);
    // A refused call leaves the session usable.
    expect((await session.predict(new Int32Array([0, 1, 2, 3]), 1)).length).toBe(9);
    await session.dispose();
    await expect(session.predict(new Int32Array([0, 1, 2, 3]), 1)).rejects.toThrow(/already closed/);
  });
});

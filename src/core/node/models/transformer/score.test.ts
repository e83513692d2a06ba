import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../common/random';
import { openLikelihoodModel } from '../../evaluate/likelihoodModel';
import type { TransformerTrainingData } from '../../train/trainTransformer';
import { trainTransformer } from '../../train/trainTransformer';

/** Rising runs of four from random starts: learnable, and unlike a uniform guess. */
function runs(n: number, vocab: number, rng: Rng): Uint16Array {
  const out: number[] = [];
  while (out.length < n) {
    const s = rng.int(vocab - 4);
    for (let i = 0; i < 4; i++) out.push(s + i);
  }
  return Uint16Array.from(out.slice(0, n));
}

let tmp: string;
let modelDir: string;
const vocab = 20;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-transformer-score-'));
  modelDir = path.join(tmp, 'model');
  const rng = new Rng(4);
  const data: TransformerTrainingData = {
    vocab: { kind: 'performance', tokens: Array.from({ length: vocab }, (_, i) => `T${i}`), counts: new Array(vocab).fill(1) },
    pieces: [
      ...Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, split: 'train' as const, tokens: runs(300, vocab, rng) })),
      { id: 'v', split: 'valid' as const, tokens: runs(200, vocab, rng) },
    ],
  };
  await trainTransformer(data, { modelPath: modelDir, preset: 'tiny', training: { epochs: 3, maxStepsPerEpoch: 10, learningRate: 0.01 } });
}, 120_000);
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('the transformer as a likelihood model', () => {
  it('scores every event after the first exactly once, with context, far better than a uniform guess', async () => {
    const model = await openLikelihoodModel(modelDir);
    expect(model.format).toBe('cadenza-transformer');
    expect(model.firstTarget).toBe(1);
    for (const n of [2, 20, 32, 33, 150]) {
      const ids = runs(n, vocab, new Rng(n));
      const s = await model.nll(ids);
      expect(s.targets, `${n} events`).toBe(n - 1);
    }
    const long = await model.nll(runs(400, vocab, new Rng(9)));
    // Three of every four events follow from the one before: well under ln 20 = 3.0 nats.
    expect(long.sumNats / long.targets).toBeLessThan(0.6 * Math.log(vocab));
    // A windowed score of a short piece is its forward pass over the whole piece.
    const short = runs(20, vocab, new Rng(3));
    const whole = await model.nll(short);
    const firstHalf = await model.nll(short.subarray(0, 11));
    expect(whole.sumNats).toBeGreaterThan(firstHalf.sumNats);
    await model.dispose();
  });
});

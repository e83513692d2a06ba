import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LstmArchitecture } from '../../../common/models/lstm';
import { Rng } from '../../../common/random';
import { selectTensorBackend } from '../../tensor/backend';
import { BiLstmEngine } from './engine';
import { referenceLstmForward } from './reference';
import type { LstmWeights } from './weights';
import { initLstmWeights } from './weights';

const archs: Record<string, LstmArchitecture> = {
  embedding: { vocabSize: 7, window: 5, embedding: 3, lstmUnits: [4, 3], denseUnits: 5, dropout: 0 },
  oneHot: { vocabSize: 7, window: 5, embedding: 0, lstmUnits: [4], denseUnits: 5, dropout: 0 },
  floatInput: {
    vocabSize: 7,
    window: 5,
    embedding: 0,
    floatInput: true,
    lstmUnits: [4],
    denseUnits: 5,
    dropout: 0,
  },
};

function perturbed(a: LstmArchitecture): LstmWeights {
  const w = initLstmWeights(a, 3);
  // Non-trivial biases and weights, so every path of the maths is exercised.
  for (const v of w.values()) for (let i = 0; i < v.length; i++) v[i]! += Math.sin(i * 7.1) * 0.3;
  return w;
}

function sample(a: LstmArchitecture, batch: number, seed: number): { ids: Int32Array; targets: Int32Array } {
  const rng = new Rng(seed);
  return {
    ids: new Int32Array(batch * a.window).map(() => rng.int(a.vocabSize)),
    targets: new Int32Array(batch).map(() => rng.int(a.vocabSize)),
  };
}

beforeAll(async () => {
  await selectTensorBackend('wasm');
});

describe('BiLstmEngine', () => {
  for (const [name, a] of Object.entries(archs)) {
    it(`matches the plain TF.js reference forward pass (${name})`, () => {
      const w = perturbed(a);
      const { ids } = sample(a, 3, 5);
      const fast = new BiLstmEngine(a, w).forward(ids, 3).probs;
      const rows = [0, 1, 2].map((b) => Array.from(ids.subarray(b * a.window, (b + 1) * a.window)));
      const ref = referenceLstmForward(a, w, rows);
      expect(fast.length).toBe(3 * a.vocabSize);
      for (let i = 0; i < ref.length; i++) expect(fast[i]).toBeCloseTo(ref[i]!, 5);
    });

    it(`has gradients that match finite differences (${name})`, () => {
      const w = perturbed(a);
      const engine = new BiLstmEngine(a, w);
      const B = 3;
      const { ids, targets } = sample(a, B, 6);
      const grads: LstmWeights = new Map([...w].map(([k, v]) => [k, new Float32Array(v.length)]));
      const loss = engine.backward(engine.forward(ids, B), targets, grads);
      const lossOf = (): number => {
        const p = engine.forward(ids, B).probs;
        let l = 0;
        for (let b = 0; b < B; b++) l -= Math.log(p[b * a.vocabSize + targets[b]!]!);
        return l / B;
      };
      expect(loss).toBeCloseTo(lossOf(), 5);
      let checked = 0;
      for (const [wname, v] of w) {
        for (let i = 0; i < v.length; i += Math.max(1, Math.floor(v.length / 5))) {
          const old = v[i]!;
          const eps = 5e-3;
          v[i] = old + eps;
          const up = lossOf();
          v[i] = old - eps;
          const down = lossOf();
          v[i] = old;
          const numeric = (up - down) / (2 * eps);
          const analytic = grads.get(wname)![i]!;
          expect(Math.abs(numeric - analytic), `${wname}[${i}]`).toBeLessThan(
            2e-3 + 0.03 * Math.abs(numeric),
          );
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
    });
  }

  it('leaks no tensors', () => {
    const a = archs.embedding!;
    const engine = new BiLstmEngine(a, perturbed(a));
    const { ids, targets } = sample(a, 2, 7);
    const grads: LstmWeights = new Map([...engine.weights].map(([k, v]) => [k, new Float32Array(v.length)]));
    const before = tf.memory().numTensors;
    engine.backward(engine.forward(ids, 2, new Rng(1)), targets, grads);
    expect(tf.memory().numTensors).toBe(before);
  });
});

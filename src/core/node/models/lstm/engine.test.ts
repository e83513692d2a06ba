import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LstmArchitecture } from '../../../common/models/lstm';
import { Rng } from '../../../common/random';
import { selectTensorBackend } from '../../tensor/backend';
import { blas } from '../../tensor/blas';
import type { Kernels } from '../../tensor/kernels';
import { blasKernels, tfjsKernels } from '../../tensor/kernels';
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
      const fast = new BiLstmEngine(a, w, tfjsKernels('wasm')).forward(ids, 3).probs;
      const rows = [0, 1, 2].map((b) => Array.from(ids.subarray(b * a.window, (b + 1) * a.window)));
      const ref = referenceLstmForward(a, w, rows);
      expect(fast.length).toBe(3 * a.vocabSize);
      for (let i = 0; i < ref.length; i++) expect(fast[i]).toBeCloseTo(ref[i]!, 5);
    });

    it(`has gradients that match finite differences (${name})`, () => {
      const w = perturbed(a);
      const engine = new BiLstmEngine(a, w, tfjsKernels('wasm'));
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

  it('gives the same probabilities, loss and gradients on BLAS and on wasm (within float tolerance)', (ctx) => {
    const native = blas();
    if (native.kind !== 'blas') {
      // CI installs libopenblas0, so there this comparison always runs.
      if (process.env.CI === 'true') throw new Error(`No BLAS in CI: ${native.reason}`);
      ctx.skip();
    }
    const providers: Kernels[] = [tfjsKernels('wasm'), blasKernels(native)];
    for (const a of [archs.embedding!, archs.oneHot!, { ...archs.embedding!, dropout: 0.3 }]) {
      const w = perturbed(a);
      const B = 4;
      const { ids, targets } = sample(a, B, 8);
      const runs = providers.map((k) => {
        const engine = new BiLstmEngine(a, w, k);
        const grads: LstmWeights = new Map([...w].map(([n, v]) => [n, new Float32Array(v.length)]));
        const fwd = engine.forward(ids, B, new Rng(11));
        const probs = fwd.probs.slice();
        return { probs, loss: engine.backward(fwd, targets, grads), grads };
      });
      const [wasm, native2] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect(native2.loss).toBeCloseTo(wasm.loss, 5);
      for (let i = 0; i < wasm.probs.length; i++) expect(native2.probs[i]).toBeCloseTo(wasm.probs[i]!, 5);
      for (const [n, g] of wasm.grads) {
        const h = native2.grads.get(n)!;
        let scale = 0;
        for (const v of g) scale = Math.max(scale, Math.abs(v));
        expect(scale, n).toBeGreaterThan(0);
        for (let i = 0; i < g.length; i++) expect(Math.abs(h[i]! - g[i]!), `${n}[${i}]`).toBeLessThan(1e-5 * scale + 1e-7);
      }
    }
  });

  it('leaks no tensors', () => {
    const a = archs.embedding!;
    const engine = new BiLstmEngine(a, perturbed(a), tfjsKernels('wasm'));
    const { ids, targets } = sample(a, 2, 7);
    const grads: LstmWeights = new Map([...engine.weights].map(([k, v]) => [k, new Float32Array(v.length)]));
    const before = tf.memory().numTensors;
    engine.backward(engine.forward(ids, 2, new Rng(1)), targets, grads);
    expect(tf.memory().numTensors).toBe(before);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../common/random';
import type { TransformerArchitecture } from '../../../common/models/transformer';
import { TRANSFORMER_PRESETS, transformerWeightShapes } from '../../../common/models/transformer';
import { PerformanceTokenizer, performanceTokens } from '../../../common/tokenize/performance';
import { readMidiFile } from '../../midi/read';
import { selectTensorBackend } from '../../tensor/backend';
import { jsProvider, kernelProviders } from '../../testing/kernelProviders';
import { listMidiFiles, sharedCorpusOrSkip } from '../../testing/sharedCorpus';
import { blas } from '../../tensor/blas';
import type { Workspace } from '../../tensor/elementwise';
import { JsWorkspace, SimdWorkspace } from '../../tensor/elementwise';
import { blasKernels, tfjsKernels } from '../../tensor/kernels';
import type { TransformerWeights } from './engine';
import { TransformerEngine } from './engine';
import { MusicTransformer } from './model';

/** A small model with every part present: 2 layers, 2 heads, context 12. */
const arch: TransformerArchitecture = {
  ...TRANSFORMER_PRESETS.tiny.architecture,
  vocabSize: 19,
  layers: 2,
  heads: 2,
  dModel: 16,
  dFF: 24,
  seqLength: 12,
  dropout: 0,
};

/** Random weights in layout order, with norms and biases moved off their initial values so their gradients matter. */
function randomWeights(a: TransformerArchitecture, seed: number): TransformerWeights {
  const rng = new Rng(seed);
  const out: TransformerWeights = new Map();
  for (const [name, shape] of transformerWeightShapes(a)) {
    const size = shape.reduce((x, y) => x * y, 1);
    const base = name.endsWith('_gamma') ? 1 : 0;
    const spread = name.endsWith('_gamma') || name.endsWith('_beta') || name.endsWith('_bias') ? 0.2 : 0.4;
    out.set(
      name,
      Float32Array.from({ length: size }, () => base + (rng.next() * 2 - 1) * spread),
    );
  }
  return out;
}

function flat(w: TransformerWeights): Float32Array {
  const out = new Float32Array([...w.values()].reduce((n, v) => n + v.length, 0));
  let o = 0;
  for (const v of w.values()) {
    out.set(v, o);
    o += v.length;
  }
  return out;
}

function zeros(w: TransformerWeights): TransformerWeights {
  return new Map([...w].map(([k, v]) => [k, new Float32Array(v.length)]));
}

function tokens(n: number, vocab: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(vocab));
}

/** The TF.js reference: loss and gradients by autodiff on the same weights. */
function reference(
  a: TransformerArchitecture,
  w: TransformerWeights,
  x: Int32Array,
  y: Int32Array,
  batch: number,
  length: number,
): { loss: number; grads: TransformerWeights } {
  const model = MusicTransformer.fromFlat(a, flat(w));
  const xt = tf.tensor2d(x, [batch, length], 'int32');
  const yt = tf.tensor2d(y, [batch, length], 'int32');
  const { value, grads } = tf.variableGrads(() => model.loss(xt, yt, false), model.variables());
  const out: TransformerWeights = new Map();
  for (const [name, v] of model.weights) out.set(name, grads[v.name]!.dataSync() as Float32Array);
  const loss = value.dataSync()[0]!;
  tf.dispose([value, xt, yt, ...Object.values(grads)]);
  model.dispose();
  return { loss, grads: out };
}

/** max |a - b| / (max |b| + tiny) over one weight's gradient: relative to the gradient's scale. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / (scale + 1e-12);
}


beforeAll(async () => {
  await selectTensorBackend('wasm');
});

const corpus = sharedCorpusOrSkip();

/** Both element-wise providers: every engine test runs on each. */
const workspaces: [string, () => Workspace][] = [
  ['wasm-simd', () => new SimdWorkspace()],
  ['typescript', () => new JsWorkspace()],
];

describe('TransformerEngine', () => {
  for (const [name, kernels] of kernelProviders())
    for (const [wsName, workspace] of workspaces)
      for (const length of [arch.seqLength, 7])
        it(`has the loss and gradients of TF.js autodiff within 1e-4 relative (${name}, ${wsName} element-wise, ${length} of ${arch.seqLength} events)`, () => {
          const batch = 3;
          const w = randomWeights(arch, 5 + length);
          const x = tokens(batch * length, arch.vocabSize, 1 + length);
          const y = tokens(batch * length, arch.vocabSize, 2 + length);
          const want = reference(arch, w, x, y, batch, length);
          const engine = new TransformerEngine(arch, w, kernels, workspace());
          const grads = zeros(w);
          const f = engine.forward(x, y, batch, length);
          expect(f.loss).toBeCloseTo(want.loss, 4);
          engine.backward(f, grads);
          for (const [weight, g] of grads) {
            const ref = want.grads.get(weight)!;
            // Weights this length never touches (relative embeddings of unused distances) have zero gradient in both.
            if (ref.every((v) => v === 0))
              expect(
                g.every((v) => v === 0),
                weight,
              ).toBe(true);
            else expect(relativeError(g, ref), `${weight}`).toBeLessThan(1e-4);
          }
        });

  for (const [wsName, workspace] of workspaces)
    it(`adds into the gradients it is given, and a second pass gives the same loss (no stale state; ${wsName} element-wise)`, () => {
      const w = randomWeights(arch, 9);
      const x = tokens(2 * 12, arch.vocabSize, 3);
      const y = tokens(2 * 12, arch.vocabSize, 4);
      const engine = new TransformerEngine(arch, w, blasKernels(jsProvider), workspace());
      const once = zeros(w);
      const f1 = engine.forward(x, y, 2, 12);
      const loss1 = f1.loss;
      engine.backward(f1, once);
      const twice = zeros(w);
      for (let r = 0; r < 2; r++) {
        const f = engine.forward(x, y, 2, 12);
        expect(f.loss).toBe(loss1);
        engine.backward(f, twice);
      }
      for (const [k, g] of twice) g.forEach((v, i) => expect(v).toBeCloseTo(2 * once.get(k)![i]!, 5));
    });

  for (const [wsName, workspace] of workspaces)
    it(`applies inverted dropout: masks from the rng, the same mask for the same seed, and a loss that differs from no dropout (${wsName} element-wise)`, () => {
      const a = { ...arch, dropout: 0.3 };
      const w = randomWeights(a, 2);
      const x = tokens(2 * 12, a.vocabSize, 5);
      const y = tokens(2 * 12, a.vocabSize, 6);
      const engine = new TransformerEngine(a, w, blasKernels(jsProvider), workspace());
      const plain = engine.forward(x, y, 2, 12).loss;
      const d1 = engine.forward(x, y, 2, 12, new Rng(42)).loss;
      const d2 = engine.forward(x, y, 2, 12, new Rng(42)).loss;
      const d3 = engine.forward(x, y, 2, 12, new Rng(43)).loss;
      expect(d1).toBe(d2);
      expect(d1).not.toBe(plain);
      expect(d3).not.toBe(d1);
      // Dropout gradients by finite differences on one weight: the same mask both ways.
      const name = 'layer1_ff2_kernel';
      const grads = zeros(w);
      engine.backward(engine.forward(x, y, 2, 12, new Rng(7)), grads);
      const wv = w.get(name)!;
      const g = grads.get(name)!;
      let checked = 0;
      for (let i = 0; i < wv.length && checked < 6; i += 37) {
        if (Math.abs(g[i]!) < 1e-3) continue;
        const old = wv[i]!;
        const eps = 1e-2;
        wv[i] = old + eps;
        const up = engine.forward(x, y, 2, 12, new Rng(7)).loss;
        wv[i] = old - eps;
        const down = engine.forward(x, y, 2, 12, new Rng(7)).loss;
        wv[i] = old;
        expect((up - down) / (2 * eps)).toBeCloseTo(g[i]!, 2);
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });

  it('gives the same loss and gradients on both element-wise providers, dropout included (the same masks from the same draws)', () => {
    const a = { ...arch, dropout: 0.2 };
    const w = randomWeights(a, 4);
    const x = tokens(3 * 12, a.vocabSize, 7);
    const y = tokens(3 * 12, a.vocabSize, 8);
    const run = (ws: Workspace): { loss: number; grads: TransformerWeights; state: number } => {
      const engine = new TransformerEngine(a, w, blasKernels(jsProvider), ws);
      const rng = new Rng(99);
      const grads = zeros(w);
      const f = engine.forward(x, y, 3, 12, rng);
      engine.backward(f, grads);
      return { loss: f.loss, grads, state: rng.getState() };
    };
    const simd = run(new SimdWorkspace());
    const js = run(new JsWorkspace());
    expect(simd.state).toBe(js.state);
    expect(Math.abs(simd.loss - js.loss)).toBeLessThan(1e-5 * js.loss);
    for (const [name, g] of simd.grads)
      expect(relativeError(g, js.grads.get(name)!), name).toBeLessThan(1e-5);
  });

  it('refuses a backward pass over a forward pass whose arrays a later one reused', () => {
    const w = randomWeights(arch, 3);
    const engine = new TransformerEngine(arch, w, blasKernels(jsProvider), new SimdWorkspace());
    const x = tokens(12, arch.vocabSize, 1);
    const first = engine.forward(x, x, 1, 12);
    engine.forward(x, x, 1, 12);
    expect(() => engine.backward(first, zeros(w))).toThrow(/latest forward pass/);
  });

  it('rejects a sequence longer than the context and a token outside the vocabulary', () => {
    const w = randomWeights(arch, 1);
    const engine = new TransformerEngine(arch, w, blasKernels(jsProvider));
    expect(() => engine.forward(new Int32Array(13), new Int32Array(13), 1, 13)).toThrow(
      /longer than the model's context of 12/,
    );
    const bad = new Int32Array(12);
    bad[3] = 19;
    expect(() => engine.forward(bad, new Int32Array(12), 1, 12)).toThrow(
      /Token id 19 is outside the vocabulary of 19/,
    );
  });

  for (const [wsName, workspace] of workspaces)
    it.skipIf(!corpus)(
      `trains like TF.js autodiff: the same loss curve over 50 steps on real pieces (SGD, dropout 0; ${wsName} element-wise)`,
      async () => {
        const vocab = performanceTokens();
        const index = new Map(vocab.map((t, i) => [t, i]));
        const tokenizer = new PerformanceTokenizer();
        const files = listMidiFiles(corpus!).slice(0, 3);
        const ids: number[] = [];
        for (const f of files)
          for (const t of tokenizer.encode((await readMidiFile(f)).song)) ids.push(index.get(t)!);
        const a: TransformerArchitecture = {
          vocabSize: vocab.length,
          seqLength: 32,
          layers: 2,
          heads: 2,
          dModel: 32,
          dFF: 64,
          dropout: 0,
        };
        const start = MusicTransformer.create(a, 3);
        const w: TransformerWeights = new Map();
        for (const [name, v] of start.weights) w.set(name, v.dataSync().slice() as Float32Array);
        const reference = MusicTransformer.fromFlat(a, flat(w));
        start.dispose();
        const engine = new TransformerEngine(
          a,
          w,
          blas().kind === 'blas' ? blasKernels(blas()) : tfjsKernels('wasm'),
          workspace(),
        );
        const sgd = tf.train.sgd(0.5);
        const rng = new Rng(8);
        const [B, L] = [4, a.seqLength];
        const ours: number[] = [];
        const theirs: number[] = [];
        for (let step = 0; step < 50; step++) {
          const x = new Int32Array(B * L);
          const y = new Int32Array(B * L);
          for (let b = 0; b < B; b++) {
            const s0 = rng.int(ids.length - L - 1);
            for (let i = 0; i < L; i++) {
              x[b * L + i] = ids[s0 + i]!;
              y[b * L + i] = ids[s0 + i + 1]!;
            }
          }
          const grads = zeros(w);
          const f = engine.forward(x, y, B, L);
          ours.push(f.loss);
          engine.backward(f, grads);
          for (const [name, g] of grads) {
            const v = w.get(name)!;
            for (let i = 0; i < v.length; i++) v[i]! -= 0.5 * g[i]!;
          }
          const xt = tf.tensor2d(x, [B, L], 'int32');
          const yt = tf.tensor2d(y, [B, L], 'int32');
          const loss = sgd.minimize(() => reference.loss(xt, yt), true, reference.variables())!;
          theirs.push(loss.dataSync()[0]!);
          tf.dispose([loss, xt, yt]);
        }
        for (let i = 0; i < 50; i++)
          expect(Math.abs(ours[i]! - theirs[i]!), `step ${i}`).toBeLessThan(1e-3 * theirs[i]!);
        // And it learned: the last ten steps well below the first (a uniform guess is ln 388 = 5.96 nats).
        const mean = (v: number[]): number => v.reduce((x, y) => x + y, 0) / v.length;
        expect(mean(ours.slice(40))).toBeLessThan(mean(ours.slice(0, 10)) - 0.5);
        sgd.dispose();
        reference.dispose();
      },
      120_000,
    );
});

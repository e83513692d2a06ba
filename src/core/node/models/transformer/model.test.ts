import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../common/random';
import type { TransformerArchitecture } from '../../../common/models/transformer';
import { TRANSFORMER_PRESETS } from '../../../common/models/transformer';
import { MusicTransformer } from './model';

const tiny = (vocabSize: number): TransformerArchitecture => ({ ...TRANSFORMER_PRESETS.tiny.architecture, vocabSize });

describe('MusicTransformer', () => {
  it('is causal: changing a future token never changes an earlier output', () => {
    const model = MusicTransformer.create({ ...tiny(20), layers: 2 }, 3);
    const tokens = [1, 5, 7, 2, 9, 9, 3, 4, 11, 0, 6, 8];
    const changed = [...tokens];
    changed[8] = 17;
    const [a, b] = tf.tidy(() => [
      model.logits(tf.tensor2d([tokens], [1, tokens.length], 'int32')).arraySync()[0]!,
      model.logits(tf.tensor2d([changed], [1, changed.length], 'int32')).arraySync()[0]!,
    ]);
    for (let t = 0; t < 8; t++) for (let v = 0; v < 20; v++) expect(Math.abs(a[t]![v]! - b[t]![v]!)).toBeLessThan(1e-5);
    // Position 8 itself sees the change.
    const diff = a[8]!.reduce((s, x, v) => s + Math.abs(x - b[8]![v]!), 0);
    expect(diff).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('round-trips its weights through the flat layout', async () => {
    const model = MusicTransformer.create(tiny(12), 5);
    const flat = await model.toFlat();
    const copy = MusicTransformer.fromFlat(tiny(12), flat);
    const x = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(model.logits(x), copy.logits(x)))).dataSync()[0]!);
    expect(d).toBe(0);
    x.dispose();
    model.dispose();
    copy.dispose();
  });

  it('the tiny preset learns a fixture below the unigram baseline without leaking tensors', async () => {
    // A "language" with structure a model can learn but a unigram can't: rising runs of 4 from a random start.
    const vocab = 24;
    const rng = new Rng(11);
    const sequence = (n: number): number[] => {
      const out: number[] = [];
      while (out.length < n) {
        const start = rng.int(vocab - 4);
        for (let i = 0; i < 4; i++) out.push(start + i);
      }
      return out.slice(0, n);
    };
    const train = sequence(4000);
    const valid = sequence(800);
    const counts = new Array<number>(vocab).fill(1);
    for (const t of train) counts[t]!++;
    const total = counts.reduce((s, c) => s + c, 0);
    const unigram = -valid.reduce((s, t) => s + Math.log(counts[t]! / total), 0) / valid.length;

    const arch = tiny(vocab);
    const model = MusicTransformer.create(arch, 7);
    const optimizer = tf.train.adam(0.01);
    const l = arch.seqLength;
    const batch = (data: number[], n: number, r: Rng): [tf.Tensor2D, tf.Tensor2D] => {
      const xs: number[] = [];
      const ys: number[] = [];
      for (let i = 0; i < n; i++) {
        const s = r.int(data.length - l - 1);
        xs.push(...data.slice(s, s + l));
        ys.push(...data.slice(s + 1, s + l + 1));
      }
      return [tf.tensor2d(xs, [n, l], 'int32'), tf.tensor2d(ys, [n, l], 'int32')];
    };
    const r = new Rng(2);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 60; step++) {
      const [x, y] = batch(train, 16, r);
      optimizer.minimize(() => model.loss(x, y, true), false, model.variables());
      x.dispose();
      y.dispose();
      if (step === 10) expect(tf.memory().numTensors).toBeGreaterThan(0);
    }
    const afterTraining = tf.memory().numTensors;
    const [vx, vy] = batch(valid, 32, new Rng(3));
    const validNll = tf.tidy(() => model.loss(vx, vy).dataSync()[0]!);
    vx.dispose();
    vy.dispose();
    expect(validNll).toBeLessThan(unigram * 0.8);
    // Optimizer slots are created on the first step; after that the count must stay flat.
    expect(tf.memory().numTensors).toBe(afterTraining);
    expect(afterTraining - before).toBeLessThanOrEqual(2 * model.variables().length + 4);
    optimizer.dispose();
    model.dispose();
  });
});

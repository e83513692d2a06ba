import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../common/random';
import { MusicTransformer } from '../models/transformer/model';
import { buildTransformerOnnx, openOnnxTransformer } from './exportTransformer';

describe('transformer ONNX export', () => {
  it('gives the probabilities of the TF.js model within 1e-4 (max absolute difference)', async () => {
    const arch = { vocabSize: 40, seqLength: 24, layers: 2, heads: 4, dModel: 32, dFF: 48, dropout: 0 };
    const model = MusicTransformer.create(arch, 12);
    // Larger weights than the initialisation, so attention is far from uniform and the test can fail.
    const flat = (await model.toFlat()).map((v) => v * 4);
    model.dispose();
    const scaled = MusicTransformer.fromFlat(arch, flat);
    const rng = new Rng(8);
    const batch = 3;
    const tokens = Int32Array.from({ length: batch * arch.seqLength }, () => rng.int(arch.vocabSize));
    const expected = tf.tidy(() =>
      tf.softmax(scaled.logits(tf.tensor2d(tokens, [batch, arch.seqLength], 'int32')), -1).dataSync(),
    ) as Float32Array;
    const session = await openOnnxTransformer(buildTransformerOnnx(arch, flat), arch);
    const actual = await session.predict(tokens, batch);
    await session.dispose();
    scaled.dispose();
    expect(actual.length).toBe(expected.length);
    let maxDiff = 0;
    let maxProb = 0;
    for (let i = 0; i < actual.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
      maxProb = Math.max(maxProb, expected[i]!);
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    expect(maxProb).toBeGreaterThan(0.2);
  });
});

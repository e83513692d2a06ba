import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TRANSFORMER_PRESETS } from '../../../common/models/transformer';
import { TransformerDecoder } from '../../../common/models/transformerDecoder';
import { MusicTransformer } from './model';

describe('TransformerDecoder (incremental, cached keys and values)', () => {
  it('gives the same logits as the full TF.js forward pass, event by event', async () => {
    const arch = { ...TRANSFORMER_PRESETS.tiny.architecture, vocabSize: 30, layers: 2, seqLength: 12 };
    const model = MusicTransformer.create(arch, 9);
    const tokens = [3, 17, 4, 4, 29, 0, 12, 8, 8, 21, 5, 1];
    const full = tf.tidy(() => model.logits(tf.tensor2d([tokens], [1, tokens.length], 'int32')).arraySync()[0]!);
    const decoder = new TransformerDecoder(arch, await model.toFlat());
    let maxDiff = 0;
    tokens.forEach((t, i) => {
      const logits = decoder.step(t);
      for (let v = 0; v < arch.vocabSize; v++) maxDiff = Math.max(maxDiff, Math.abs(logits[v]! - full[i]![v]!));
    });
    expect(maxDiff).toBeLessThan(1e-4);
    model.dispose();
  });

  it('slides its cache past the context length, equal to a forward pass over the last window for one layer', async () => {
    // With one layer, keys and values depend only on their own event, so a sliding cache is exact.
    const arch = { ...TRANSFORMER_PRESETS.tiny.architecture, vocabSize: 16, layers: 1, seqLength: 6 };
    const model = MusicTransformer.create(arch, 4);
    const tokens = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const decoder = new TransformerDecoder(arch, await model.toFlat());
    let last = new Float32Array(0);
    for (const t of tokens) last = Float32Array.from(decoder.step(t));
    expect(decoder.cached).toBe(6);
    const window = tokens.slice(-6);
    const full = tf.tidy(() => model.logits(tf.tensor2d([window], [1, 6], 'int32')).arraySync()[0]![5]!);
    const maxDiff = full.reduce((m, x, v) => Math.max(m, Math.abs(x - last[v]!)), 0);
    expect(maxDiff).toBeLessThan(1e-4);
    model.dispose();
  });
});

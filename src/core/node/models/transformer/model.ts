/**
 * The Music Transformer in TF.js raw ops (tfjs-layers has no attention): a decoder-only stack of
 * pre-norm blocks with relative position self-attention (see `relative.ts`). Weights follow the
 * layout of `transformerWeightShapes` in src/core/common/models/transformer.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../../../common/errors';
import { Rng } from '../../../common/random';
import type { TransformerArchitecture } from '../../../common/models/transformer';
import { transformerWeightShapes } from '../../../common/models/transformer';
import { relativeLogits } from './relative';

const LN_EPSILON = 1e-5;
const MASK_VALUE = -1e9;

/** A Music Transformer with its weights as TF.js variables. Call `dispose()` when done. */
export class MusicTransformer {
  /** The weights by name, in layout order. */
  readonly weights: Map<string, tf.Variable>;
  private dropoutRng: Rng;

  private constructor(
    readonly architecture: TransformerArchitecture,
    weights: Map<string, tf.Variable>,
    seed: number,
  ) {
    this.weights = weights;
    this.dropoutRng = new Rng(seed ^ 0x5eed);
    const a = architecture;
    if (a.dModel % a.heads !== 0)
      throw new ModelError(`The model width (${a.dModel}) must be divisible by the number of heads (${a.heads}).`, {
        field: 'heads',
      });
  }

  /** A new model with seeded initial weights (Glorot-uniform matrices, zero biases, unit norms). */
  static create(architecture: TransformerArchitecture, seed = 1): MusicTransformer {
    const rng = new Rng(seed);
    const weights = new Map<string, tf.Variable>();
    for (const [name, shape] of transformerWeightShapes(architecture)) {
      const init = tf.tidy(() => {
        if (name.endsWith('_gamma')) return tf.ones(shape);
        if (name.endsWith('_beta') || name.endsWith('_bias')) return tf.zeros(shape);
        if (name.endsWith('_rel') || name === 'embedding') return tf.randomNormal(shape, 0, 0.02, 'float32', rng.int(2 ** 31));
        const fanIn = shape[0]!;
        const fanOut = shape[shape.length - 1]!;
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        return tf.randomUniform(shape, -limit, limit, 'float32', rng.int(2 ** 31));
      });
      weights.set(name, tf.variable(init, true));
      init.dispose();
    }
    return new MusicTransformer(architecture, weights, seed);
  }

  /** A model from flat float32 weights in layout order (as `weights.bin` stores them). */
  static fromFlat(architecture: TransformerArchitecture, flat: Float32Array, seed = 1): MusicTransformer {
    const weights = new Map<string, tf.Variable>();
    let offset = 0;
    for (const [name, shape] of transformerWeightShapes(architecture)) {
      const size = shape.reduce((x, y) => x * y, 1);
      if (offset + size > flat.length)
        throw new ModelError(`The weights end before "${name}": the file does not match the architecture.`, {
          field: name,
        });
      const t = tf.tensor(flat.subarray(offset, offset + size), shape);
      weights.set(name, tf.variable(t, true));
      t.dispose();
      offset += size;
    }
    if (offset !== flat.length)
      throw new ModelError(`The weights hold ${flat.length - offset} values more than the architecture needs.`);
    return new MusicTransformer(architecture, weights, seed);
  }

  /** All weights as one flat float32 array in layout order. */
  async toFlat(): Promise<Float32Array> {
    const parts: Float32Array[] = [];
    for (const v of this.weights.values()) parts.push((await v.data()) as Float32Array);
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Restarts the dropout masks' random sequence, so a resumed run draws the same masks. */
  reseedDropout(seed: number): void {
    this.dropoutRng = new Rng(seed);
  }

  /** The trainable variables, for an optimizer. */
  variables(): tf.Variable[] {
    return [...this.weights.values()];
  }

  private w(name: string): tf.Variable {
    const v = this.weights.get(name);
    if (!v) throw new ModelError(`The model has no weight named "${name}".`, { field: name });
    return v;
  }

  private dropout(x: tf.Tensor, training: boolean): tf.Tensor {
    const rate = this.architecture.dropout;
    if (!training || rate <= 0) return x;
    return tf.dropout(x, rate, undefined, this.dropoutRng.int(2 ** 31));
  }

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LN_EPSILON)));
    return tf.add(tf.mul(normed, this.w(`${prefix}_gamma`)), this.w(`${prefix}_beta`));
  }

  /**
   * Next-event logits for every position.
   * @param tokens [batch, L] int32 token ids, L <= seqLength.
   * @param training apply dropout.
   * @returns [batch, L, vocabSize]: row t scores the token at t + 1.
   */
  logits(tokens: tf.Tensor2D, training = false): tf.Tensor3D {
    const a = this.architecture;
    const [b, l] = tokens.shape;
    if (l > a.seqLength)
      throw new ModelError(`A sequence of ${l} events is longer than the model's context of ${a.seqLength}.`, {
        field: 'seqLength',
      });
    const d = a.dModel;
    const h = a.heads;
    const dh = d / h;
    return tf.tidy(() => {
      // One-hot times a matrix instead of gather: the wasm backend lacks gather's gradient.
      const oneHot = tf.oneHot(tf.reshape(tokens, [b * l]), a.vocabSize);
      let x: tf.Tensor = tf.mul(tf.matMul(oneHot, this.w('embedding')), Math.sqrt(d));
      x = this.dropout(tf.reshape(x, [b, l, d]), training);
      const causal = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([l, l]), -1, 0)), MASK_VALUE);
      for (let layer = 0; layer < a.layers; layer++) {
        const p = `layer${layer}_`;
        const norm1 = tf.reshape(this.layerNorm(x, `${p}ln1`), [b * l, d]);
        const heads = (name: string): tf.Tensor4D =>
          tf.transpose(tf.reshape(tf.matMul(norm1, this.w(p + name)), [b, l, h, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
        const q = heads('wq');
        const k = heads('wk');
        const v = heads('wv');
        const rel = this.w(`${p}rel`);
        const er = (l === a.seqLength ? rel : tf.slice(rel, [0, a.seqLength - l, 0], [h, l, dh])) as tf.Tensor3D;
        let scores = tf.add(tf.matMul(q, k, false, true), relativeLogits(q, er));
        scores = tf.add(tf.mul(scores, 1 / Math.sqrt(dh)), causal);
        const attention = this.dropout(tf.softmax(scores, -1), training);
        const context = tf.reshape(tf.transpose(tf.matMul(attention, v), [0, 2, 1, 3]), [b * l, d]);
        x = tf.add(x, this.dropout(tf.reshape(tf.matMul(context, this.w(`${p}wo`)), [b, l, d]), training));
        const norm2 = tf.reshape(this.layerNorm(x, `${p}ln2`), [b * l, d]);
        const inner = tf.relu(tf.add(tf.matMul(norm2, this.w(`${p}ff1_kernel`)), this.w(`${p}ff1_bias`)));
        const ff = tf.add(tf.matMul(inner, this.w(`${p}ff2_kernel`)), this.w(`${p}ff2_bias`));
        x = tf.add(x, this.dropout(tf.reshape(ff, [b, l, d]), training));
      }
      const out = tf.reshape(this.layerNorm(x, 'lnf'), [b * l, d]);
      const logits = tf.add(tf.matMul(out, this.w('output_kernel')), this.w('output_bias'));
      return tf.reshape(logits, [b, l, a.vocabSize]) as tf.Tensor3D;
    });
  }

  /**
   * Mean negative log-likelihood per predicted event, in nats.
   * @param inputs [batch, L] int32; @param targets [batch, L] int32 (inputs shifted by one).
   */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D, training = false): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.logits(inputs, training);
      const logProbs = tf.logSoftmax(logits, -1);
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(targets, this.architecture.vocabSize)), -1);
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    });
  }

  /** Frees the weights. */
  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
  }
}

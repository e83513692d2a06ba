/**
 * The BiLSTM forward pass written plainly in TF.js ops, straight from the contract in
 * src/core/common/models/lstm.ts. It is the reference the fast engine (`engine.ts`) and the
 * ONNX export are checked against; it runs on any TF.js backend, inside `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs';
import type { LstmArchitecture } from '../../../common/models/lstm';
import { lstmWeightShapes } from '../../../common/models/lstm';
import type { LstmWeights } from './weights';

/**
 * Next-token logits [batch, vocabSize] for windows `ids` [batch, window] from weights as tensors
 * (variables, for training on a device), in TF.js ops. `dropout`, when given, is applied where
 * the engine applies it: after each BiLSTM layer, after the final features and after the dense layer.
 */
export function lstmLogits(
  a: LstmArchitecture,
  w: Map<string, tf.Tensor>,
  idT: tf.Tensor2D,
  dropout: (x: tf.Tensor2D) => tf.Tensor2D = (x) => x,
): tf.Tensor2D {
  const B = idT.shape[0];
  // Inputs per time step, [B, width]: embedding rows, one-hot rows or the float index.
  let steps: tf.Tensor2D[] = [];
  for (let t = 0; t < a.window; t++) {
    const col = tf.reshape(tf.slice(idT, [0, t], [B, 1]), [B]) as tf.Tensor1D;
    if (a.floatInput) steps.push(tf.reshape(tf.div(tf.cast(col, 'float32'), a.vocabSize), [B, 1]) as tf.Tensor2D);
    else if (a.embedding > 0) steps.push(tf.gather(w.get('embedding')!, col) as tf.Tensor2D);
    else steps.push(tf.cast(tf.oneHot(col, a.vocabSize), 'float32') as tf.Tensor2D);
  }
  let features: tf.Tensor2D | undefined;
  a.lstmUnits.forEach((H, l) => {
    const run = (dir: 'fwd' | 'bwd'): tf.Tensor2D[] => {
      const k = w.get(`lstm${l}_${dir}_kernel`)!;
      const u = w.get(`lstm${l}_${dir}_recurrent`)!;
      const bias = w.get(`lstm${l}_${dir}_bias`)!;
      let h = tf.zeros([B, H]) as tf.Tensor2D;
      let c = tf.zeros([B, H]) as tf.Tensor2D;
      const out: tf.Tensor2D[] = new Array<tf.Tensor2D>(a.window);
      for (let s = 0; s < a.window; s++) {
        const t = dir === 'fwd' ? s : a.window - 1 - s;
        const z = tf.add(tf.add(tf.matMul(steps[t]!, k), tf.matMul(h, u)), bias);
        const [zi, zf, zg, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
        c = tf.add(tf.mul(tf.sigmoid(zf!), c), tf.mul(tf.sigmoid(zi!), tf.tanh(zg!)));
        h = tf.mul(tf.sigmoid(zo!), tf.tanh(c));
        out[t] = h;
      }
      return out;
    };
    const fwd = run('fwd');
    const bwd = run('bwd');
    if (l < a.lstmUnits.length - 1) steps = fwd.map((f, t) => dropout(tf.concat([f, bwd[t]!], 1)));
    else features = dropout(tf.concat([fwd[a.window - 1]!, bwd[0]!], 1));
  });
  const hidden = dropout(tf.relu(tf.add(tf.matMul(features!, w.get('dense_kernel')!), w.get('dense_bias')!)) as tf.Tensor2D);
  return tf.add(tf.matMul(hidden, w.get('output_kernel')!), w.get('output_bias')!) as tf.Tensor2D;
}

/** Next-token probabilities [batch, vocabSize] for windows `ids` [batch][window], in TF.js ops. */
export function referenceLstmForward(a: LstmArchitecture, weights: LstmWeights, ids: number[][]): Float32Array {
  const probs = tf.tidy(() => {
    const w = new Map(lstmWeightShapes(a).map(([name, shape]) => [name, tf.tensor(weights.get(name)!, shape)]));
    return tf.softmax(lstmLogits(a, w, tf.tensor2d(ids, [ids.length, a.window], 'int32')));
  });
  const out = probs.dataSync() as Float32Array;
  probs.dispose();
  return out;
}

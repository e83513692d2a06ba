/**
 * Relative position attention logits in the memory-efficient "skewing" form of Huang et al.
 * 2018 (Music Transformer, section 3.4.1): multiply queries by one embedding per relative
 * distance (O(L·D) memory), then shift each row into absolute positions with a pad-reshape-slice,
 * instead of gathering an L×L×D tensor of relative embeddings.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Skews relative logits into absolute ones.
 * @param rel [batch, heads, L, L]: rel[.., i, r] = q_i · E_r[r], where column r is distance r - (L - 1).
 * @returns [batch, heads, L, L]: out[.., i, j] = rel[.., i, j - i + L - 1] for j <= i (entries j > i are
 *   meaningless and must be masked by the caller, as causal attention does anyway).
 */
export function skew(rel: tf.Tensor4D): tf.Tensor4D {
  const [b, h, l] = rel.shape;
  const padded = tf.pad(rel, [
    [0, 0],
    [0, 0],
    [0, 0],
    [1, 0],
  ]);
  return tf.slice(tf.reshape(padded, [b, h, l + 1, l]), [0, 0, 1, 0], [b, h, l, l]) as tf.Tensor4D;
}

/**
 * Query times relative embeddings for every head, before skewing.
 * @param q [batch, heads, L, dHead] queries.
 * @param er [heads, L, dHead] one embedding per distance -(L-1)..0 (row L-1 is distance 0).
 * @returns [batch, heads, L, L] with [.., i, r] = q_i · er[r].
 */
export function queryTimesRelative(q: tf.Tensor4D, er: tf.Tensor3D): tf.Tensor4D {
  const [b, h, l, dh] = q.shape;
  // Heads first, so one batched matMul over heads covers the whole batch: [h, b*L, dh] x [h, dh, L].
  const qh = tf.reshape(tf.transpose(q, [1, 0, 2, 3]), [h, b * l, dh]);
  const prod = tf.matMul(qh, er, false, true); // [h, b*L, L]
  return tf.transpose(tf.reshape(prod, [h, b, l, l]), [1, 0, 2, 3]) as tf.Tensor4D;
}

/** The relative logits for causal attention: `skew(queryTimesRelative(q, er))`, [batch, heads, L, L]. */
export function relativeLogits(q: tf.Tensor4D, er: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => skew(queryTimesRelative(q, er)));
}

/**
 * The same logits computed naively (O(L²·D) memory), for tests only: out[i, j] = q_i · er[j - i + L - 1]
 * for j <= i, and 0 above the diagonal.
 */
export function relativeLogitsNaive(q: Float32Array, er: Float32Array, b: number, h: number, l: number, dh: number): Float32Array {
  const out = new Float32Array(b * h * l * l);
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let i = 0; i < l; i++)
        for (let j = 0; j <= i; j++) {
          const r = j - i + l - 1;
          let s = 0;
          for (let d = 0; d < dh; d++) s += q[((bi * h + hi) * l + i) * dh + d]! * er[(hi * l + r) * dh + d]!;
          out[((bi * h + hi) * l + i) * l + j] = s;
        }
  return out;
}

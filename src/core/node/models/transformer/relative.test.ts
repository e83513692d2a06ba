import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../common/random';
import { relativeLogits, relativeLogitsNaive } from './relative';

const random = (n: number, rng: Rng): Float32Array => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

describe('relative attention (skewing)', () => {
  it.each([
    [1, 1, 1, 4],
    [2, 3, 7, 5],
    [3, 2, 16, 8],
  ])('equals the naive O(L²D) computation for batch %i, heads %i, L %i, dHead %i', (b, h, l, dh) => {
    const rng = new Rng(b * 100 + l);
    const q = random(b * h * l * dh, rng);
    const er = random(h * l * dh, rng);
    const fast = tf.tidy(() =>
      relativeLogits(tf.tensor4d(q, [b, h, l, dh]), tf.tensor3d(er, [h, l, dh])).dataSync(),
    ) as Float32Array;
    const naive = relativeLogitsNaive(q, er, b, h, l, dh);
    let maxDiff = 0;
    for (let bi = 0; bi < b * h; bi++)
      for (let i = 0; i < l; i++)
        for (let j = 0; j <= i; j++) {
          const k = (bi * l + i) * l + j;
          maxDiff = Math.max(maxDiff, Math.abs(fast[k]! - naive[k]!));
        }
    expect(maxDiff).toBeLessThan(1e-5);
    // And the values are not trivially zero: the test can fail.
    expect(Math.max(...Array.from(naive).map(Math.abs))).toBeGreaterThan(0.01);
  });
});

/** Initial weights of the composer, and its weight layout for `weights.bin`. */
import type { ComposerArchitecture } from '../../../common/models/composer';
import { composerWeightShapes } from '../../../common/models/composer';
import { Rng } from '../../../common/random';
import { elementCount } from '../weights';
import type { ComposerWeights } from './engine';

/**
 * Weights for `a` drawn from `seed`: uniform ±1/sqrt(H) for recurrent kernels, ±sqrt(6/(in+out))
 * (Glorot) for the others, zero biases but the forget gates' (1, so cells remember at the start).
 */
export function initComposerWeights(a: ComposerArchitecture, seed: number): ComposerWeights {
  const rng = new Rng(seed);
  const weights: ComposerWeights = new Map();
  for (const [name, shape] of composerWeightShapes(a)) {
    const w = new Float32Array(elementCount(shape));
    if (name.endsWith('_bias')) {
      if (name !== 'out_bias') {
        const H = shape[0]! / 4;
        w.fill(1, H, 2 * H);
      }
    } else {
      const [rows, cols] = shape as [number, number];
      const s = name.endsWith('_recurrent') ? 1 / Math.sqrt(rows) : name.endsWith('_input') ? 0.1 : Math.sqrt(6 / (rows + cols));
      for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * s;
    }
    weights.set(name, w);
  }
  return weights;
}

/** Zeroed arrays shaped like `weights`. */
export function zerosLike(weights: ComposerWeights): ComposerWeights {
  return new Map([...weights].map(([k, v]) => [k, new Float32Array(v.length)]));
}

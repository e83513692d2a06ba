/**
 * The transformer's seeded initial weights, drawn in plain TypeScript (no TF.js backend, no native
 * module), so the CPU engine, the GPU path and the benchmarks start from the same numbers.
 */
import type { TransformerArchitecture } from '../../../common/models/transformer';
import { transformerWeightShapes } from '../../../common/models/transformer';
import { Rng } from '../../../common/random';

/**
 * Seeded initial weights in layout order, as `MusicTransformer.create` makes them (Glorot-uniform
 * matrices, N(0, 0.02) embeddings, zero biases, unit norm gains), drawn in plain TypeScript so
 * training needs no TF.js backend.
 */
export function initialTransformerWeights(architecture: TransformerArchitecture, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of transformerWeightShapes(architecture)) {
    const size = shape.reduce((x, y) => x * y, 1);
    const w = new Float32Array(size);
    if (name.endsWith('_gamma')) w.fill(1);
    else if (name.endsWith('_rel') || name === 'embedding')
      for (let i = 0; i < size; i += 2) {
        // Box-Muller: two normal draws from two uniform ones.
        const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
        const t = 2 * Math.PI * rng.next();
        w[i] = 0.02 * r * Math.cos(t);
        if (i + 1 < size) w[i + 1] = 0.02 * r * Math.sin(t);
      }
    else if (!(name.endsWith('_beta') || name.endsWith('_bias'))) {
      const limit = Math.sqrt(6 / (shape[0]! + shape[shape.length - 1]!));
      for (let i = 0; i < size; i++) w[i] = (rng.next() * 2 - 1) * limit;
    }
    out.set(name, w);
  }
  return out;
}

/**
 * BiLSTM weights as plain Float32Arrays by name, in the order of `lstmWeightShapes`, and their
 * seeded initialisation. On disk they use the shared model weights format of
 * `src/core/node/models/weights.ts` (`weights.bin` + `weights.json`), which the ONNX exporter reads too.
 */
import { ModelError } from '../../../common/errors';
import type { LstmArchitecture } from '../../../common/models/lstm';
import { lstmWeightShapes } from '../../../common/models/lstm';
import { Rng } from '../../../common/random';
import {
  decodeWeights,
  elementCount,
  encodeWeights,
  readWeights,
  saveWeights,
  type WeightFileManifest,
} from '../weights';

/** Weights by name, in `lstmWeightShapes` order. */
export type LstmWeights = Map<string, Float32Array>;

/** What `weights.json` holds (the shared model weights manifest). */
export type WeightsManifest = WeightFileManifest;

/** Elements in a shape. */
export const shapeSize = elementCount;

/**
 * Seeded initial weights, as Keras initialises these layers: Glorot-uniform kernels, zero biases
 * except a forget-gate bias of 1 (so early gradients flow through time), small uniform embedding.
 */
export function initLstmWeights(a: LstmArchitecture, seed: number): LstmWeights {
  const rng = new Rng(seed);
  const weights: LstmWeights = new Map();
  for (const [name, shape] of lstmWeightShapes(a)) {
    const w = new Float32Array(shapeSize(shape));
    if (name === 'embedding') for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * 0.05;
    else if (shape.length === 2) {
      // Recurrent kernels are [H, 4H] but act like four HxH matrices, so their fan-out is H.
      const fanOut = name.endsWith('_recurrent') ? shape[0]! : shape[1]!;
      const limit = Math.sqrt(6 / (shape[0]! + fanOut));
      for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * limit;
    } else if (/^lstm\d+_(fwd|bwd)_bias$/.test(name)) {
      const h = shape[0]! / 4;
      w.fill(1, h, 2 * h);
    }
    weights.set(name, w);
  }
  return weights;
}

/** Throws `ModelError` unless `weights` has exactly the tensors and sizes `a` needs. */
export function checkLstmWeights(a: LstmArchitecture, weights: LstmWeights, where: string): void {
  for (const [name, shape] of lstmWeightShapes(a)) {
    const w = weights.get(name);
    if (!w) throw new ModelError(`${where} has no weight named ${name}.`, { path: where, field: name });
    if (w.length !== shapeSize(shape))
      throw new ModelError(
        `${where}: ${name} has ${w.length} values but [${shape.join(', ')}] needs ${shapeSize(shape)}.`,
        {
          path: where,
          field: name,
        },
      );
  }
}

/** A deep copy (checkpoints and best-so-far snapshots must not change as training goes on). */
export function cloneLstmWeights(weights: LstmWeights): LstmWeights {
  return new Map([...weights].map(([k, v]) => [k, v.slice()]));
}

/** The weights as one array in layout order (checked first). */
function flatten(a: LstmArchitecture, weights: LstmWeights, where: string): Float32Array {
  checkLstmWeights(a, weights, where);
  const layout = lstmWeightShapes(a);
  const flat = new Float32Array(layout.reduce((n, [, s]) => n + shapeSize(s), 0));
  let offset = 0;
  for (const [name] of layout) {
    const w = weights.get(name)!;
    flat.set(w, offset);
    offset += w.length;
  }
  return flat;
}

/** Splits an array in layout order into named weights (copies, so they never alias one buffer). */
function split(a: LstmArchitecture, flat: Float32Array): LstmWeights {
  const weights: LstmWeights = new Map();
  let offset = 0;
  for (const [name, shape] of lstmWeightShapes(a)) {
    const n = shapeSize(shape);
    weights.set(name, flat.slice(offset, offset + n));
    offset += n;
  }
  return weights;
}

/** The weights as `weights.bin` bytes plus the `weights.json` manifest. */
export function encodeLstmWeights(
  a: LstmArchitecture,
  weights: LstmWeights,
  dtype: 'float32' | 'float16' = 'float32',
): { bin: Uint8Array; manifest: WeightsManifest } {
  return encodeWeights(lstmWeightShapes(a), flatten(a, weights, 'the model'), dtype);
}

/** Reads weights from `weights.bin` bytes and their manifest; `where` names the folder in errors. */
export function decodeLstmWeights(a: LstmArchitecture, bin: Uint8Array, manifest: WeightsManifest, where: string): LstmWeights {
  return split(a, decodeWeights(lstmWeightShapes(a), bin, manifest, where));
}

/** Writes `weights.bin` and `weights.json` into `dir` atomically (bin first, so the manifest never points at a missing file). */
export async function saveLstmWeights(
  dir: string,
  a: LstmArchitecture,
  weights: LstmWeights,
  dtype: 'float32' | 'float16' = 'float32',
): Promise<void> {
  await saveWeights(dir, lstmWeightShapes(a), flatten(a, weights, 'the model'), dtype);
}

/** Reads `weights.bin` + `weights.json` from `dir`; throws `ModelError` naming the file when they do not fit `a`. */
export async function readLstmWeights(dir: string, a: LstmArchitecture): Promise<LstmWeights> {
  return split(a, await readWeights(dir, lstmWeightShapes(a)));
}

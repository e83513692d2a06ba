/**
 * BiLSTM weights as plain Float32Arrays in the order of `lstmWeightShapes`, their seeded
 * initialisation, and the on-disk pair `weights.bin` (the tensors concatenated, little-endian)
 * + `weights.json` (names, shapes, dtype), which the ONNX exporter reads too.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../../../common/errors';
import type { LstmArchitecture } from '../../../common/models/lstm';
import { lstmWeightShapes } from '../../../common/models/lstm';
import { Rng } from '../../../common/random';
import { writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';

/** Weights by name, in `lstmWeightShapes` order. */
export type LstmWeights = Map<string, Float32Array>;

/** What `weights.json` holds. */
export interface WeightsManifest {
  /** Element type in `weights.bin`. */
  dtype: 'float32' | 'float16';
  /** Every tensor in file order, with its shape and element offset. */
  tensors: { name: string; shape: number[]; offset: number }[];
}

/** Elements in a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

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

function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  // Round to nearest even on the 13 dropped mantissa bits; a carry may bump the exponent, which is right.
  let bits = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && bits & 1)) bits++;
  e = bits >> 10;
  return sign | (e >= 0x1f ? 0x7c00 : bits);
}

function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The weights as `weights.bin` bytes plus the `weights.json` manifest. */
export function encodeLstmWeights(
  a: LstmArchitecture,
  weights: LstmWeights,
  dtype: 'float32' | 'float16' = 'float32',
): { bin: Uint8Array; manifest: WeightsManifest } {
  checkLstmWeights(a, weights, 'the model');
  const shapes = lstmWeightShapes(a);
  const total = shapes.reduce((n, [, s]) => n + shapeSize(s), 0);
  const bytesPer = dtype === 'float16' ? 2 : 4;
  const bin = new Uint8Array(total * bytesPer);
  const view = new DataView(bin.buffer);
  const tensors: WeightsManifest['tensors'] = [];
  let offset = 0;
  for (const [name, shape] of shapes) {
    const w = weights.get(name)!;
    tensors.push({ name, shape, offset });
    for (let i = 0; i < w.length; i++) {
      const at = (offset + i) * bytesPer;
      if (dtype === 'float16') view.setUint16(at, toFloat16Bits(w[i]!), true);
      else view.setFloat32(at, w[i]!, true);
    }
    offset += w.length;
  }
  return { bin, manifest: { dtype, tensors } };
}

/** Reads weights from `weights.bin` bytes and their manifest; `where` names the folder in errors. */
export function decodeLstmWeights(
  a: LstmArchitecture,
  bin: Uint8Array,
  manifest: WeightsManifest,
  where: string,
): LstmWeights {
  const file = path.join(where, 'weights.json');
  if (manifest.dtype !== 'float32' && manifest.dtype !== 'float16')
    throw new ModelError(
      `${file} has dtype "${String(manifest.dtype)}"; only float32 and float16 are read.`,
      {
        path: file,
        field: 'dtype',
      },
    );
  const bytesPer = manifest.dtype === 'float16' ? 2 : 4;
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  const weights: LstmWeights = new Map();
  for (const [name, shape] of lstmWeightShapes(a)) {
    const entry = byName.get(name);
    if (!entry) throw new ModelError(`${file} lists no tensor named ${name}.`, { path: file, field: name });
    if (entry.shape.join(',') !== shape.join(','))
      throw new ModelError(
        `${file}: ${name} has shape [${entry.shape.join(', ')}] but the architecture needs [${shape.join(', ')}].`,
        {
          path: file,
          field: name,
        },
      );
    const n = shapeSize(shape);
    if ((entry.offset + n) * bytesPer > bin.byteLength)
      throw new ModelError(
        `${path.join(where, 'weights.bin')} is too short for ${name}; the file is truncated.`,
        {
          path: path.join(where, 'weights.bin'),
        },
      );
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const at = (entry.offset + i) * bytesPer;
      w[i] = bytesPer === 2 ? fromFloat16Bits(view.getUint16(at, true)) : view.getFloat32(at, true);
    }
    weights.set(name, w);
  }
  return weights;
}

/** Writes `weights.bin` and `weights.json` into `dir` atomically (bin first, so the manifest never points at a missing file). */
export async function saveLstmWeights(
  dir: string,
  a: LstmArchitecture,
  weights: LstmWeights,
  dtype: 'float32' | 'float16' = 'float32',
): Promise<void> {
  const { bin, manifest } = encodeLstmWeights(a, weights, dtype);
  await writeFileAtomic(path.join(dir, 'weights.bin'), bin);
  await writeJsonAtomic(path.join(dir, 'weights.json'), manifest);
}

/** Reads `weights.bin` + `weights.json` from `dir`; throws `ModelError` naming the file when they do not fit `a`. */
export async function readLstmWeights(dir: string, a: LstmArchitecture): Promise<LstmWeights> {
  let manifest: WeightsManifest;
  let bin: Buffer;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, 'weights.json'), 'utf8')) as WeightsManifest;
    bin = await fs.readFile(path.join(dir, 'weights.bin'));
  } catch (error) {
    throw new ModelError(
      `${dir} has no readable weights.json and weights.bin; is it a Cadenza LSTM model folder?`,
      {
        path: dir,
        cause: error,
      },
    );
  }
  return decodeLstmWeights(a, new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength), manifest, dir);
}

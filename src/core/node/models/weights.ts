/**
 * Model weights on disk, for every model kind: `weights.bin` (named tensors concatenated,
 * little-endian float32 or float16) + `weights.json` (dtype, and each tensor's name, shape and
 * element offset). A model gives its layout as `[name, shape][]`; the ONNX exporters read the same pair.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../../common/errors';
import { writeFileAtomic, writeJsonAtomic } from '../fs/atomic';

/** A model's weight layout: names and shapes in file order. */
export type WeightLayout = readonly (readonly [name: string, shape: number[]])[];

/** What `weights.json` holds. */
export interface WeightFileManifest {
  /** Element type in `weights.bin`. */
  dtype: 'float32' | 'float16';
  /** Every tensor in file order, with its shape and element offset. */
  tensors: { name: string; shape: number[]; offset: number }[];
}

/** Elements in a shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE 754 half-precision bits of `value` (round to nearest even). */
export function float16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  e = half >> 10;
  return sign | half;
}

/** The number whose half-precision bits are `h`. */
export function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let table16: Float32Array | undefined;

/** `float16Value` of every 16-bit pattern (256 KB, built on first use). */
function float16Table(): Float32Array {
  if (!table16) {
    table16 = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table16[h] = float16Value(h);
  }
  return table16;
}

/** Encodes flat weights (in layout order) as `weights.bin` bytes plus the manifest. */
export function encodeWeights(
  layout: WeightLayout,
  flat: Float32Array,
  dtype: 'float32' | 'float16' = 'float32',
): { bin: Uint8Array; manifest: WeightFileManifest } {
  const total = layout.reduce((n, [, s]) => n + elementCount(s), 0);
  if (total !== flat.length) throw new ModelError(`The weights hold ${flat.length} values but the layout needs ${total}.`);
  const bytesPer = dtype === 'float16' ? 2 : 4;
  const bin = new Uint8Array(total * bytesPer);
  const view = new DataView(bin.buffer);
  for (let i = 0; i < total; i++) {
    if (dtype === 'float16') view.setUint16(i * 2, float16Bits(flat[i]!), true);
    else view.setFloat32(i * 4, flat[i]!, true);
  }
  const tensors: WeightFileManifest['tensors'] = [];
  let offset = 0;
  for (const [name, shape] of layout) {
    tensors.push({ name, shape: [...shape], offset });
    offset += elementCount(shape);
  }
  return { bin, manifest: { dtype, tensors } };
}

/** Decodes `weights.bin` bytes into flat float32 weights in layout order; `where` names the folder in errors. */
export function decodeWeights(layout: WeightLayout, bin: Uint8Array, manifest: WeightFileManifest, where: string): Float32Array {
  const file = path.join(where, 'weights.json');
  if (manifest.dtype !== 'float32' && manifest.dtype !== 'float16')
    throw new ModelError(`${file} has dtype "${String(manifest.dtype)}"; only float32 and float16 are read.`, {
      path: file,
      field: 'dtype',
    });
  const bytesPer = manifest.dtype === 'float16' ? 2 : 4;
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  const total = layout.reduce((n, [, s]) => n + elementCount(s), 0);
  const flat = new Float32Array(total);
  let out = 0;
  for (const [name, shape] of layout) {
    const entry = byName.get(name);
    if (!entry) throw new ModelError(`${file} lists no tensor named ${name}.`, { path: file, field: name });
    if (entry.shape.join(',') !== shape.join(','))
      throw new ModelError(
        `${file}: ${name} has shape [${entry.shape.join(', ')}] but the architecture needs [${shape.join(', ')}].`,
        { path: file, field: name },
      );
    const n = elementCount(shape);
    if ((entry.offset + n) * bytesPer > bin.byteLength)
      throw new ModelError(`${path.join(where, 'weights.bin')} is too short for ${name}; the file is truncated.`, {
        path: path.join(where, 'weights.bin'),
      });
    if (bytesPer === 2) {
      // Through a table of all 65,536 half-precision values: ~50x faster than decoding each one.
      const table = float16Table();
      for (let i = 0; i < n; i++) flat[out++] = table[view.getUint16((entry.offset + i) * 2, true)]!;
    } else for (let i = 0; i < n; i++) flat[out++] = view.getFloat32((entry.offset + i) * 4, true);
  }
  return flat;
}

/** Writes `weights.bin` then `weights.json` into `dir` atomically (so the manifest never points at a missing file). */
export async function saveWeights(
  dir: string,
  layout: WeightLayout,
  flat: Float32Array,
  dtype: 'float32' | 'float16' = 'float32',
): Promise<void> {
  const { bin, manifest } = encodeWeights(layout, flat, dtype);
  await writeFileAtomic(path.join(dir, 'weights.bin'), bin);
  await writeJsonAtomic(path.join(dir, 'weights.json'), manifest);
}

/** Reads `weights.bin` + `weights.json` from `dir` as flat float32 weights; throws `ModelError` naming the folder. */
export async function readWeights(dir: string, layout: WeightLayout): Promise<Float32Array> {
  let manifest: WeightFileManifest;
  let bin: Buffer;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, 'weights.json'), 'utf8')) as WeightFileManifest;
    bin = await fs.readFile(path.join(dir, 'weights.bin'));
  } catch (error) {
    throw new ModelError(`${dir} has no readable weights.json and weights.bin; is it a Cadenza model folder?`, {
      path: dir,
      cause: error,
    });
  }
  return decodeWeights(layout, new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength), manifest, dir);
}

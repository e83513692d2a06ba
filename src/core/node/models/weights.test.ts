import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights, float16Bits, float16Value } from './weights';

describe('weights files', () => {
  const layout = [
    ['a', [2, 3]],
    ['b', [4]],
  ] as const satisfies readonly (readonly [string, number[]])[];
  const flat = Float32Array.from([0.1, -2, 3.5, 1e-3, 65504, -0.25, 7, 8, 9, 10]);

  it('round-trips float32 exactly and float16 within half precision', () => {
    const f32 = encodeWeights(layout, flat, 'float32');
    expect(decodeWeights(layout, f32.bin, f32.manifest, '/m')).toEqual(flat);
    const f16 = encodeWeights(layout, flat, 'float16');
    expect(f16.bin.length).toBe(20);
    const back = decodeWeights(layout, f16.bin, f16.manifest, '/m');
    back.forEach((v, i) => expect(Math.abs(v - flat[i]!)).toBeLessThanOrEqual(Math.abs(flat[i]!) * 1e-3 + 1e-7));
  });

  it('converts float16 edge cases', () => {
    expect(float16Value(float16Bits(1))).toBe(1);
    expect(float16Value(float16Bits(-0.5))).toBe(-0.5);
    expect(float16Value(float16Bits(1e6))).toBe(Infinity);
    expect(float16Value(float16Bits(6e-8))).toBeCloseTo(5.96e-8, 9);
  });

  it('names the file when a tensor is missing, misshapen or truncated', () => {
    const { bin, manifest } = encodeWeights(layout, flat);
    expect(() => decodeWeights([['c', [1]]], bin, manifest, '/m')).toThrow(/\/m\/weights.json lists no tensor named c/);
    expect(() => decodeWeights([['a', [3, 2]]], bin, manifest, '/m')).toThrow(/shape \[2, 3\]/);
    expect(() => decodeWeights(layout, bin.subarray(0, 8), manifest, '/m')).toThrow(/truncated/);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors';
import { Rng } from '../../common/random';
import { kernelProviders } from '../testing/kernelProviders';
import { selectTensorBackend } from './backend';
import { blas } from './blas';
import type { KernelRequest } from './kernels';
import { selectKernels, simdKernels } from './kernels';


function random(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** op(a) · op(b) in float64, the plain way. */
function naive(ta: boolean, tb: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
      out[i * n + j] = sum;
    }
  return out;
}

beforeAll(async () => {
  await selectTensorBackend('wasm');
});

describe('kernel providers', () => {
  const providers = kernelProviders;

  it('multiply with every transpose combination, accumulate, and multiply by constants, equal to the plain product', () => {
    const [m, n, k] = [5, 7, 3];
    for (const [name, kern] of providers())
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          const a = random(m * k, 1);
          const b = random(k * n, 2);
          const want = naive(ta, tb, m, n, k, a, b);
          const out = new Float32Array(m * n).fill(1);
          kern.gemm(ta, tb, m, n, k, a, b, out, true);
          want.forEach((v, i) => expect(out[i], `${name} ${ta} ${tb}`).toBeCloseTo(v + 1, 5));
          if (!ta) {
            const before = tf.memory().numTensors;
            const c = kern.constant(b, k, n, tb);
            const out2 = new Float32Array(m * n);
            kern.gemmConst(a, m, c, out2);
            kern.release(c);
            expect(tf.memory().numTensors).toBe(before);
            want.forEach((v, i) => expect(out2[i], `${name} const ${tb}`).toBeCloseTo(v, 5));
          }
        }
  });

  it('multiplies on subarray views in place (the engine passes blocks of its arrays)', () => {
    for (const [name, kern] of providers()) {
      const big = random(40, 3);
      const b = random(12, 4);
      const out = new Float32Array(20);
      // rows 2..4 of a 5 x 4 matrix, times 4 x 3, into the middle of `out`
      kern.gemm(false, false, 3, 3, 4, big.subarray(8, 20), b, out.subarray(5, 14));
      const want = naive(false, false, 3, 3, 4, big.subarray(8, 20), b);
      want.forEach((v, i) => expect(out[5 + i], name).toBeCloseTo(v, 5));
      expect(out[4]).toBe(0);
      expect(out[14]).toBe(0);
    }
  });
});

describe('the WebAssembly SIMD sgemm', () => {
  it('equals the plain product on shapes that use its 4 x 8 blocks, every tail and several slices of the inner dimension', () => {
    const kern = simdKernels();
    for (const [m, n, k] of [
      [37, 45, 19],
      [64, 32, 8],
      [70, 9, 130],
      [9, 20, 600],
      [1, 3, 1],
    ] as const)
      for (const ta of [false, true])
        for (const tb of [false, true])
          for (const accumulate of [false, true]) {
            const a = random(m * k, m + k);
            const b = random(k * n, n + k);
            const want = naive(ta, tb, m, n, k, a, b);
            const out = random(m * n, 7);
            const before = out.slice();
            kern.gemm(ta, tb, m, n, k, a, b, out, accumulate);
            let worst = 0;
            want.forEach((v, i) => (worst = Math.max(worst, Math.abs(out[i]! - v - (accumulate ? before[i]! : 0)))));
            expect(worst, `${m}x${n}x${k} ${ta} ${tb} ${accumulate}`).toBeLessThan(1e-5 * Math.sqrt(k));
            if (!ta && !accumulate) {
              const c = kern.constant(b, k, n, tb);
              const out2 = new Float32Array(m * n);
              kern.gemmConst(a, m, c, out2);
              kern.release(c);
              expect(Array.from(out2)).toEqual(Array.from(out));
            }
          }
  });

  it('is what the wasm provider multiplies on where WebAssembly SIMD runs, and says so', async () => {
    const choice = await selectKernels('wasm');
    expect(choice.provider).toBe('wasm');
    expect(choice.reason).toMatch(/WebAssembly SIMD sgemm/);
  });
});

describe('selectKernels', () => {
  it('auto takes BLAS when it loads and says why; an unknown name is a usage error', async () => {
    const choice = await selectKernels('auto');
    if (blas().kind === 'blas') {
      expect(choice.provider).toBe('blas');
      expect(choice.reason).toMatch(/fastest provider/);
    } else {
      expect(choice.skipped[0]!.provider).toBe('blas');
      expect(choice.reason).toMatch(/blas: /);
    }
    await expect(selectKernels('mkl' as KernelRequest)).rejects.toBeInstanceOf(UsageError);
  });

  it('passes over a user-given library that does not load, saying so, and refuses it when blas was asked for', async () => {
    const bad = { blasLibrary: '/nonexistent/libmyblas.so' };
    const choice = await selectKernels('auto', bad);
    expect(choice.reason).toMatch(/\/nonexistent\/libmyblas\.so did not load/);
    await expect(selectKernels('blas', bad)).rejects.toThrow(/libmyblas\.so did not load/);
  });

  it('activates the TF.js backend asked for', async () => {
    const choice = await selectKernels('cpu');
    expect(choice.provider).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.kernels.provider).toBe('cpu');
    await selectKernels('wasm');
  });
});

/**
 * Test support: every kernel provider a test should compare. tfjs-wasm, the WebAssembly SIMD
 * sgemm (what `wasm` multiplies on where SIMD runs), the TypeScript sgemm, and the native BLAS where it loads (required in CI, which installs libopenblas0; a user's clone
 * without it skips it with a visible line).
 */
import type { BlasProvider } from '../tensor/blas';
import { blas, jsSgemm } from '../tensor/blas';
import type { Kernels } from '../tensor/kernels';
import { blasKernels, simdKernels, tfjsKernels } from '../tensor/kernels';

/** The TypeScript sgemm as a BLAS provider. */
export const jsProvider: BlasProvider = { kind: 'js', library: 'typescript', reason: 'test', sgemm: jsSgemm, setThreads: () => {} };

/** [name, kernels] for tfjs-wasm, the wasm SIMD sgemm, TypeScript and (where it loads) the native BLAS. Select the wasm TF.js backend first. */
export function kernelProviders(): [string, Kernels][] {
  const list: [string, Kernels][] = [
    ['wasm', tfjsKernels('wasm')],
    ['wasm-simd sgemm', simdKernels()],
    ['typescript', blasKernels(jsProvider)],
  ];
  const native = blas();
  if (native.kind === 'blas') list.push(['blas', blasKernels(native)]);
  else if (process.env.CI === 'true') throw new Error(`No BLAS in CI: ${native.reason}`);
  else console.warn(`[skip] the native BLAS provider is not tested: ${native.reason}`);
  return list;
}

/**
 * Which kernel providers can run on this machine, found without activating any and without
 * loading TF.js (the app asks on every page load): the native BLAS is loaded to find out (once
 * per process, as training would), the TF.js packages are only looked up.
 */
import { createRequire } from 'node:module';
import { blas, loadBlasLibrary } from './blas';

/** A provider training can be asked for (`webgpu` trains whole steps on the GPU; the rest are `selectKernels`'). */
export type KernelProvider = 'blas' | 'webgpu' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Whether one kernel provider can run here, and why not when it cannot. */
export interface KernelAvailability {
  provider: KernelProvider;
  available: boolean;
  /** One sentence, only when it cannot run here. */
  reason?: string;
  /** The device it found, in one line (the GPU's adapter for webgpu). */
  device?: string;
}

/**
 * Whether training can run on a GPU through WebGPU here: Dawn is loaded and asked for an adapter
 * (once per process). A software adapter (lavapipe, SwiftShader) is available but said to be one.
 */
export async function webgpuAvailability(): Promise<KernelAvailability> {
  const { describeAdapter, probeWebGpu } = await import('./webgpu');
  const found = await probeWebGpu();
  if (!found.ok) return { provider: 'webgpu', available: false, reason: `No GPU was found through WebGPU: ${found.reason.replace(/\.$/, '')}.` };
  const device = describeAdapter(found.adapter);
  return {
    provider: 'webgpu',
    available: true,
    device: found.adapter.software ? `${device}: a software GPU on the CPU, slower than the CPU kernels (for tests)` : device,
  };
}

/** True when the package can be found from here (without loading it). */
function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Every provider, fastest first, each marked with whether `selectKernels` would run it here. */
export function kernelAvailability(options: { blasLibrary?: string } = {}): KernelAvailability[] {
  const out: KernelAvailability[] = [];
  const named = options.blasLibrary ? loadBlasLibrary(options.blasLibrary) : undefined;
  const system = blas();
  if ((named !== undefined && typeof named !== 'string') || system.kind === 'blas')
    out.push({ provider: 'blas', available: true });
  else {
    const why =
      process.env.CADENZA_KERNELS === 'js'
        ? 'CADENZA_KERNELS=js turns the native kernels off'
        : system.reason.replace(/^pure TypeScript kernels, since /, '');
    out.push({ provider: 'blas', available: false, reason: `No BLAS library loads here: ${why}.` });
  }
  for (const [provider, pkg] of [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
    ['wasm', '@tensorflow/tfjs-backend-wasm'],
  ] as const)
    out.push(
      installed(pkg)
        ? { provider, available: true }
        : { provider, available: false, reason: `The optional package ${pkg} is not installed.` },
    );
  out.push({ provider: 'cpu', available: true });
  return out;
}

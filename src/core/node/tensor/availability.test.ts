import { describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors';
import { kernelAvailability, webgpuAvailability } from './availability';
import { blas } from './blas';
import type { KernelRequest } from './kernels';
import { selectKernels } from './kernels';

describe('kernelAvailability', () => {
  it('marks what cannot run here with one sentence, and agrees with selectKernels', async () => {
    const list = kernelAvailability();
    expect(list.map((k) => k.provider)).toEqual(['blas', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect(list.find((k) => k.provider === 'cpu')).toEqual({ provider: 'cpu', available: true });
    for (const k of list) if (!k.available) expect(k.reason).toMatch(/^[A-Z].*\.$/);
    expect(list.find((k) => k.provider === 'blas')!.available).toBe(blas().kind === 'blas');
    // Each one marked unavailable is one selectKernels refuses.
    for (const k of list.filter((x) => !x.available))
      await expect(selectKernels(k.provider as KernelRequest)).rejects.toThrow(UsageError);
  });

  it('says which GPU WebGPU found, marking a software one, or one sentence on why there is none', async () => {
    const gpu = await webgpuAvailability();
    expect(gpu.provider).toBe('webgpu');
    if (gpu.available) {
      expect(gpu.device).toMatch(/\(vendor .*, architecture .*\)/);
      if (/llvmpipe|lavapipe|swiftshader/i.test(gpu.device!)) expect(gpu.device).toMatch(/a software GPU on the CPU/);
    } else {
      // CI installs lavapipe, so there an adapter must appear.
      if (process.env.CI === 'true') throw new Error(`No WebGPU adapter in CI: ${gpu.reason}`);
      expect(gpu.reason).toMatch(/^No GPU was found through WebGPU: .*\.$/);
    }
  }, 60_000);
});

import { describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors';
import { kernelAvailability } from './availability';
import { blas } from './blas';
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
      await expect(selectKernels(k.provider)).rejects.toThrow(UsageError);
  });
});

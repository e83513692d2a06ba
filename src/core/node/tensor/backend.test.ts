import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors';
import type { BackendRequest } from './backend';
import { selectTensorBackend } from './backend';
import { transposeInto } from './elementwise';
import { matmulInto, releaseMatrix, uploadMatrix } from './matmul';

describe('selectTensorBackend', () => {
  it('picks the fastest available and says why the faster ones were skipped', async () => {
    const choice = await selectTensorBackend('auto');
    expect(['tensorflow-gpu', 'tensorflow', 'wasm']).toContain(choice.kind);
    expect(tf.getBackend()).toBe(choice.backend);
    if (choice.kind === 'wasm') {
      expect(choice.skipped.map((s) => s.kind)).toEqual(['tensorflow-gpu', 'tensorflow']);
      expect(choice.reason).toMatch(/fastest available/);
    }
  });

  it('switches to an explicitly requested backend and refuses unknown names', async () => {
    expect((await selectTensorBackend('cpu')).backend).toBe('cpu');
    expect((await selectTensorBackend('wasm')).backend).toBe('wasm');
    await expect(selectTensorBackend('gpu' as BackendRequest)).rejects.toBeInstanceOf(UsageError);
  });
});

describe('matmulInto', () => {
  it('multiplies, accumulates and leaks no tensors, with uploaded or plain right-hand sides', async () => {
    await selectTensorBackend('wasm');
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]); // 2 x 3
    const b = Float32Array.from([1, 0, 0, 1, 1, 1]); // 3 x 2
    const before = tf.memory().numTensors;
    const out = new Float32Array(4);
    matmulInto(a, 2, 3, b, 2, out);
    expect(Array.from(out)).toEqual([4, 5, 10, 11]);
    const handle = uploadMatrix(b, 3, 2);
    matmulInto(a, 2, 3, handle, 2, out, true);
    releaseMatrix(handle);
    expect(Array.from(out)).toEqual([8, 10, 20, 22]);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(transposeInto(a, 2, 3, new Float32Array(6)))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

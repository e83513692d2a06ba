import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../../common/errors';
import type { LstmArchitecture } from '../../../common/models/lstm';
import { lstmWeightShapes } from '../../../common/models/lstm';
import {
  decodeLstmWeights,
  encodeLstmWeights,
  initLstmWeights,
  readLstmWeights,
  saveLstmWeights,
  shapeSize,
} from './weights';

const a: LstmArchitecture = {
  vocabSize: 11,
  window: 4,
  embedding: 3,
  lstmUnits: [5, 2],
  denseUnits: 6,
  dropout: 0,
};
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('LSTM weights', () => {
  it('initialises every tensor of the layout, seeded, with forget-gate bias 1', () => {
    const w = initLstmWeights(a, 4);
    expect([...w.keys()]).toEqual(lstmWeightShapes(a).map(([n]) => n));
    for (const [name, shape] of lstmWeightShapes(a)) expect(w.get(name)!.length).toBe(shapeSize(shape));
    const bias = w.get('lstm0_fwd_bias')!;
    expect(Array.from(bias.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(bias.subarray(5, 10))).toEqual([1, 1, 1, 1, 1]);
    expect(initLstmWeights(a, 4).get('dense_kernel')).toEqual(w.get('dense_kernel'));
    expect(initLstmWeights(a, 5).get('dense_kernel')).not.toEqual(w.get('dense_kernel'));
  });

  it('round-trips float32 exactly and float16 within half precision, through files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-w-'));
    dirs.push(dir);
    const w = initLstmWeights(a, 1);
    w.get('output_bias')!.set([1e-6, -70000, 65504, 0.1, -2.5]);
    await saveLstmWeights(dir, a, w, 'float32');
    const back = await readLstmWeights(dir, a);
    for (const [k, v] of w) expect(back.get(k)).toEqual(v);

    const { bin, manifest } = encodeLstmWeights(a, w, 'float16');
    expect(bin.byteLength).toBe(2 * lstmWeightShapes(a).reduce((n, [, s]) => n + shapeSize(s), 0));
    const half = decodeLstmWeights(a, bin, manifest, dir);
    for (const [k, v] of w)
      v.forEach((x, i) => {
        const y = half.get(k)![i]!;
        if (Math.abs(x) <= 65504)
          expect(Math.abs(y - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -24));
      });
    expect(half.get('output_bias')![1]).toBe(-Infinity);
    expect(half.get('output_bias')![2]).toBe(65504);
  });

  it('names the file and tensor when the weights do not fit the architecture', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-w-'));
    dirs.push(dir);
    await saveLstmWeights(dir, a, initLstmWeights(a, 1));
    const bigger = { ...a, denseUnits: 7 };
    await expect(readLstmWeights(dir, bigger)).rejects.toThrow(
      /dense_kernel has shape \[4, 6\] but the architecture needs \[4, 7\]/,
    );
    await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(10));
    await expect(readLstmWeights(dir, a)).rejects.toThrow(/truncated/);
    await expect(readLstmWeights(path.join(dir, 'missing'), a)).rejects.toBeInstanceOf(ModelError);
  });
});

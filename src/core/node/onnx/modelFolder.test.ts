import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LstmArchitecture } from '../../common/models/lstm';
import { Rng } from '../../common/random';
import { loadLstmModel } from '../models/lstm/model';
import { exportLstmModelFolder, ONNX_FILES, onnxExportStatus } from './modelFolder';
import { writeRandomLstmModel } from './randomModel';
import { openOnnxLstm } from './session';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cadenza-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function randomModelFolder(name: string, a: LstmArchitecture, seed: number, dtype: 'float32' | 'float16' = 'float32'): Promise<string> {
  const tokens = Array.from({ length: a.vocabSize }, (_, i) => `t${i}`);
  return writeRandomLstmModel(path.join(tmp, name), a, tokens, { seed, dtype });
}

async function parity(dir: string, a: LstmArchitecture, batch: number): Promise<number> {
  await exportLstmModelFolder(dir);
  const tfjs = await loadLstmModel(dir, 'wasm');
  const onnx = await openOnnxLstm(path.join(dir, ONNX_FILES.model), a.window, a.vocabSize);
  const rng = new Rng(99);
  const windows = Int32Array.from({ length: batch * a.window }, () => rng.int(a.vocabSize));
  const expected = tfjs.predict(windows, batch);
  const actual = await onnx.predict(windows, batch);
  await onnx.dispose();
  tfjs.dispose();
  let worst = 0;
  let peak = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(expected[i]! - actual[i]!));
    peak = Math.max(peak, expected[i]!);
  }
  // The weights must make a peaked distribution, or parity on near-uniform outputs would prove little.
  expect(peak).toBeGreaterThan(3 / a.vocabSize);
  return worst;
}

describe('ONNX export of a model folder', () => {
  it('gives the same probabilities as the TF.js model (loadLstmModel) within 1e-4', async () => {
    const a: LstmArchitecture = { vocabSize: 41, window: 12, embedding: 8, lstmUnits: [16, 12], denseUnits: 16, dropout: 0.3 };
    const dir = await randomModelFolder('two-layer', a, 1);
    expect(await parity(dir, a, 5)).toBeLessThan(1e-4);
  });

  it('reads float16 weights and one-hot input the same way as TF.js', async () => {
    const a: LstmArchitecture = { vocabSize: 30, window: 10, embedding: 0, lstmUnits: [12], denseUnits: 10, dropout: 0 };
    const dir = await randomModelFolder('fp16-onehot', a, 2, 'float16');
    expect(await parity(dir, a, 3)).toBeLessThan(1e-4);
  });

  it('records the weights it was built from, so a retrained folder reads as stale', async () => {
    const a: LstmArchitecture = { vocabSize: 12, window: 4, embedding: 4, lstmUnits: [4], denseUnits: 4, dropout: 0 };
    const dir = await randomModelFolder('status', a, 3);
    expect(await onnxExportStatus(dir)).toBe('missing');
    const info = await exportLstmModelFolder(dir);
    expect(info.bytes).toBe((await fs.stat(path.join(dir, ONNX_FILES.model))).size);
    expect(await onnxExportStatus(dir)).toBe('current');
    await randomModelFolder('status', a, 4);
    expect(await onnxExportStatus(dir)).toBe('stale');
  });

  it('refuses a folder that is not a model, naming it', async () => {
    await expect(exportLstmModelFolder(path.join(tmp, 'nothing-here'))).rejects.toThrow(/nothing-here/);
  });
});

import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../../common/errors';
import { resourcesDir } from '../../paths';
import { loadLstmModel } from './model';
import { referenceLstmForward } from './reference';

const bundled = path.join(resourcesDir(), 'models', 'lstm');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('loadLstmModel (the bundled model)', () => {
  it('is present, credited and better than both baselines', async () => {
    expect(existsSync(path.join(bundled, 'README.md'))).toBe(true);
    const model = await loadLstmModel(bundled, 'wasm');
    const m = model.config.metrics;
    expect(model.config.credits).toMatch(/Bernd Krueger/);
    expect(m.validNll).toBeLessThan(m.unigramNll);
    expect(m.validNll).toBeLessThan(m.seedDesignNll!);
    model.dispose();
  });

  it('predicts normalised next-token probabilities equal to the TF.js reference, without leaking tensors', async () => {
    const model = await loadLstmModel(bundled, 'wasm');
    const { window, vocabSize } = model.architecture;
    const windows = [0, 1, 2].map((k) =>
      Array.from({ length: window }, (_, t) => (t * 37 + k * 11) % vocabSize),
    );
    const before = tf.memory().numTensors;
    const probs = model.predict(windows, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(probs.length).toBe(3 * vocabSize);
    for (let b = 0; b < 3; b++) {
      let sum = 0;
      for (let v = 0; v < vocabSize; v++) sum += probs[b * vocabSize + v]!;
      expect(sum).toBeCloseTo(1, 4);
    }
    const ref = referenceLstmForward(model.architecture, model.weights, windows.slice(0, 1));
    for (let v = 0; v < vocabSize; v += 97) expect(probs[v]).toBeCloseTo(ref[v]!, 5);
    // A flat Int32Array gives the same answer as arrays of windows.
    const flat = model.predict(Int32Array.from(windows.flat()));
    expect(flat).toEqual(probs);
    model.dispose();
    expect(() => model.predict(windows)).toThrow(ModelError);
  });

  it('refuses windows of the wrong length or with ids outside the vocabulary', async () => {
    const model = await loadLstmModel(bundled, 'wasm');
    const { window, vocabSize } = model.architecture;
    expect(() => model.predict([[1, 2, 3]])).toThrow(/has 3 tokens; this model reads windows of 32/);
    expect(() => model.predict([Array.from({ length: window }, () => vocabSize)])).toThrow(
      /outside this model's vocabulary/,
    );
    model.dispose();
  });

  it('names the file when a folder is not a model', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-model-'));
    dirs.push(dir);
    await expect(loadLstmModel(dir)).rejects.toThrow(/config.json could not be read/);
    await cp(path.join(bundled, 'config.json'), path.join(dir, 'config.json'));
    await expect(loadLstmModel(dir)).rejects.toThrow(/no readable weights.json/);
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ format: 'other' }));
    await expect(loadLstmModel(dir)).rejects.toThrow(/is not a Cadenza LSTM model/);
  });
});

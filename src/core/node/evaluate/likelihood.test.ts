import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../common/errors';
import { unigramLikelihood } from '../../common/evaluate/likelihood';
import type { LstmArchitecture } from '../../common/models/lstm';
import { LSTM_PRESETS } from '../../common/models/lstm';
import type { LstmModelConfig } from '../models/lstm/config';
import { LSTM_MODEL_FORMAT, LSTM_MODEL_VERSION } from '../models/lstm/config';
import { initLstmWeights, saveLstmWeights } from '../models/lstm/weights';
import { motifDataset, writeMotifDataset } from '../train/testing';
import { scoreModel } from './likelihood';

let dir: string;
const data = motifDataset({ vocabSize: 16, pieces: 8, length: 60 });
const architecture: LstmArchitecture = { ...LSTM_PRESETS.tiny.architecture, window: 8, vocabSize: 16 };

async function writeModel(modelDir: string, tokens: string[]): Promise<void> {
  await saveLstmWeights(modelDir, architecture, initLstmWeights(architecture, 3));
  const config: LstmModelConfig = {
    format: LSTM_MODEL_FORMAT,
    version: LSTM_MODEL_VERSION,
    architecture,
    tokenizer: { kind: 'notes' },
    vocab: { ...data.vocab, tokens },
    corpusHash: 'synthetic-motifs',
    training: { ...LSTM_PRESETS.tiny.training, backend: 'cpu', backendReason: 'test' },
    metrics: {
      validNll: NaN,
      unigramNll: NaN,
      epochs: 0,
      steps: 0,
      bestEpoch: 0,
      validTargets: 0,
      trainSeconds: 0,
    },
    createdAt: new Date(0).toISOString(),
  };
  await writeFile(path.join(modelDir, 'config.json'), JSON.stringify(config));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-evaluate-likelihood-'));
  await writeMotifDataset(path.join(dir, 'data'), data);
  await writeModel(path.join(dir, 'model'), data.vocab.tokens);
  await writeModel(
    path.join(dir, 'other'),
    data.vocab.tokens.map((t) => `x${t}`),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scoreModel', () => {
  it('scores every validation token after a full window, with the unigram baseline on the same targets', async () => {
    const r = await scoreModel(path.join(dir, 'model'), path.join(dir, 'data'));
    const valid = data.pieces.filter((p) => p.split === 'valid');
    expect(r.pieces).toBe(valid.length);
    expect(r.model.events).toBe(valid.length * (60 - 8));
    expect(r.capped).toBe(false);
    const targets = valid.flatMap((p) => [...p.tokens.slice(8)]);
    expect(r.unigram.nllPerEvent).toBeCloseTo(unigramLikelihood(data.vocab.counts, targets).nllPerEvent, 10);
    // Untrained weights spread probability about evenly: perplexity near the 16-token vocabulary.
    expect(r.model.perplexity).toBeGreaterThan(8);
    expect(r.model.perplexity).toBeLessThan(32);
  });

  it('caps the targets evenly when asked', async () => {
    const r = await scoreModel(path.join(dir, 'model'), path.join(dir, 'data'), { maxTargets: 20 });
    expect(r.capped).toBe(true);
    expect(r.model.events).toBeLessThanOrEqual(20 + 2);
    expect(r.model.events).toBeGreaterThan(10);
  });

  it('refuses a model trained on another vocabulary', async () => {
    await expect(scoreModel(path.join(dir, 'other'), path.join(dir, 'data'))).rejects.toThrow(ModelError);
    await expect(scoreModel(path.join(dir, 'other'), path.join(dir, 'data'))).rejects.toThrow(
      /another vocabulary/,
    );
  });
});

import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EvaluationReport } from '../../core/common/evaluate/report';
import { songOf } from '../../core/common/evaluate/testSongs';
import { LSTM_PRESETS } from '../../core/common/models/lstm';
import type { LstmArchitecture } from '../../core/common/models/lstm';
import type { LstmModelConfig } from '../../core/node/models/lstm/config';
import { LSTM_MODEL_FORMAT, LSTM_MODEL_VERSION } from '../../core/node/models/lstm/config';
import { initLstmWeights, saveLstmWeights } from '../../core/node/models/lstm/weights';
import { encodeMidi } from '../../core/node/midi/write';
import { motifDataset, writeMotifDataset } from '../../core/node/train/testing';
import { main } from '../main';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-cli-evaluate-'));
  await mkdir(path.join(dir, 'ref'));
  await mkdir(path.join(dir, 'gen'));
  for (let k = 0; k < 3; k++)
    await writeFile(
      path.join(dir, 'ref', `r${k}.mid`),
      encodeMidi(songOf(Array.from({ length: 12 }, (_, i) => [50 + k + i, i, 1]))),
    );
  await writeFile(
    path.join(dir, 'gen', 'g.mid'),
    encodeMidi(songOf(Array.from({ length: 12 }, (_, i) => [60 + (i % 3), i, 0.5]))),
  );
  // A preprocessed dataset and an untrained model folder on its vocabulary, for --model.
  const data = motifDataset({ vocabSize: 12, pieces: 4, length: 40 });
  await writeMotifDataset(path.join(dir, 'data'), data);
  const architecture: LstmArchitecture = { ...LSTM_PRESETS.tiny.architecture, window: 8, vocabSize: 12 };
  await saveLstmWeights(path.join(dir, 'model'), architecture, initLstmWeights(architecture, 1));
  const config: LstmModelConfig = {
    format: LSTM_MODEL_FORMAT,
    version: LSTM_MODEL_VERSION,
    architecture,
    tokenizer: { kind: 'notes' },
    vocab: data.vocab,
    corpusHash: 'synthetic-motifs',
    training: { ...LSTM_PRESETS.tiny.training, backend: 'cpu', backendReason: 'test' },
    metrics: {
      validNll: 0,
      unigramNll: 0,
      epochs: 0,
      steps: 0,
      bestEpoch: 0,
      validTargets: 0,
      trainSeconds: 0,
    },
    createdAt: new Date(0).toISOString(),
  };
  await writeFile(path.join(dir, 'model', 'config.json'), JSON.stringify(config));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(['node', 'cadenza', 'evaluate', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('cadenza evaluate', () => {
  it('writes both reports and prints where they are', async () => {
    const output = path.join(dir, 'report');
    const r = await run(
      '--reference',
      path.join(dir, 'ref'),
      '--generated',
      path.join(dir, 'gen'),
      '--output',
      output,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Wrote ${path.join(output, 'report.html')}`);
    expect(r.out).toMatch(/generated: 1 MIDI, 0 audio; mean overlap with reference/);
    const report = JSON.parse(await readFile(path.join(output, 'report.json'), 'utf8')) as EvaluationReport;
    expect(report.sets[1]!.pieces[0]!.measures!.scalars.pitchCount).toBe(3);
  });

  it('prints the report as JSON with --json', async () => {
    const r = await run('--reference', path.join(dir, 'ref'), '--output', path.join(dir, 'r2'), '--json');
    expect(r.code, r.err).toBe(0);
    const printed = JSON.parse(r.out) as { htmlPath: string; report: EvaluationReport };
    expect(printed.report.sets).toHaveLength(1);
    expect(printed.htmlPath).toBe(path.join(dir, 'r2', 'report.html'));
  });

  it('exits 2 with one sentence naming the flag for a path that does not exist', async () => {
    const r = await run(
      '--reference',
      path.join(dir, 'ref'),
      '--generated',
      path.join(dir, 'missing'),
      '--output',
      path.join(dir, 'r3'),
    );
    expect(r.code).toBe(2);
    expect(r.err).toBe(`cadenza: --generated names ${path.join(dir, 'missing')}, which does not exist.\n`);
  });

  it('exits 2 without --reference and for a bad --max-targets', async () => {
    expect((await run('--generated', path.join(dir, 'gen'))).code).toBe(2);
    const r = await run('--reference', path.join(dir, 'ref'), '--max-targets', 'lots');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--max-targets must be a whole number');
  });

  it('scores a model on the validation pieces of --data', async () => {
    const r = await run(
      '--reference',
      path.join(dir, 'ref'),
      '--model',
      path.join(dir, 'model'),
      '--data',
      path.join(dir, 'data'),
      '--output',
      path.join(dir, 'r4'),
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const { report } = JSON.parse(r.out) as { report: EvaluationReport };
    // One validation piece of 40 tokens after a window of 8.
    expect(report.likelihood!.model.events).toBe(32);
    expect(report.likelihood!.unigram.perplexity).toBeGreaterThan(1);
  });

  it('warns instead of scoring when the model names no data, and refuses --data without preprocessed data', async () => {
    const r = await run(
      '--reference',
      path.join(dir, 'ref'),
      '--model',
      path.join(dir, 'model'),
      '--output',
      path.join(dir, 'r5'),
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const { report } = JSON.parse(r.out) as { report: EvaluationReport };
    expect(report.likelihood).toBeUndefined();
    expect(report.warnings[0]).toMatch(/No held-out likelihood: give --data/);
    const bad = await run(
      '--reference',
      path.join(dir, 'ref'),
      '--model',
      path.join(dir, 'model'),
      '--data',
      path.join(dir, 'ref'),
      '--output',
      path.join(dir, 'r6'),
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--data names');
  });
});

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
import { readMidiFile } from '../../core/node/midi/read';
import { buildVocabulary, encodeWithVocabulary, NotesTokenizer } from '../../core/common/tokenize';
import { sha256Hex } from '../../core/node/evaluate/heldOut';
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
  // An untrained model folder whose notes vocabulary covers the reference, trained (it says) on r0 and r1.
  const tokenizer = new NotesTokenizer();
  const songs = await Promise.all(
    [0, 1, 2].map(async (k) => (await readMidiFile(path.join(dir, 'ref', `r${k}.mid`))).song),
  );
  const vocab = buildVocabulary(
    'notes',
    songs.map((song) => tokenizer.encode(song)),
    { tokenizer },
  );
  const architecture: LstmArchitecture = {
    ...LSTM_PRESETS.tiny.architecture,
    window: 8,
    vocabSize: vocab.tokens.length,
  };
  await saveLstmWeights(path.join(dir, 'model'), architecture, initLstmWeights(architecture, 1));
  const trainingPieces = await Promise.all(
    [0, 1].map(async (k) => ({
      id: `r${k}.mid`,
      sha256: sha256Hex(await readFile(path.join(dir, 'ref', `r${k}.mid`))),
    })),
  );
  const config: LstmModelConfig & { trainingPieces: { id: string; sha256: string }[] } = {
    format: LSTM_MODEL_FORMAT,
    version: LSTM_MODEL_VERSION,
    architecture,
    tokenizer: { kind: 'notes' },
    vocab,
    trainingPieces,
    corpusHash: 'test',
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
  // The same model without its list of training pieces, and a folder of those pieces.
  await saveLstmWeights(path.join(dir, 'model-unlisted'), architecture, initLstmWeights(architecture, 1));
  const { trainingPieces: _listed, ...unlisted } = config;
  await writeFile(path.join(dir, 'model-unlisted', 'config.json'), JSON.stringify(unlisted));
  await mkdir(path.join(dir, 'train'));
  for (const k of [0, 1])
    await writeFile(path.join(dir, 'train', `r${k}.mid`), await readFile(path.join(dir, 'ref', `r${k}.mid`)));
  heldOutIds = encodeWithVocabulary(tokenizer.encode(songs[2]!), vocab, tokenizer).ids.length;
});

let heldOutIds = 0;

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

  it('scores a model on the reference pieces it was not trained on, beside the n-gram and unigram', async () => {
    const r = await run(
      '--reference',
      path.join(dir, 'ref'),
      '--generated',
      path.join(dir, 'gen'),
      '--model',
      path.join(dir, 'model'),
      '--output',
      path.join(dir, 'r4'),
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const { report } = JSON.parse(r.out) as { report: EvaluationReport };
    const l = report.likelihood!;
    // r2 alone is held out: its ids after the window of 8.
    expect(l.pieces).toBe(1);
    expect(l.trainingPieces).toBe(2);
    expect(l.targets).toBe(heldOutIds - 8);
    expect(l.unknownTokens).toBe(0);
    expect(l.ngramOrder).toBe(5);
    expect(l.trainingSource).toBe('trainingPieces');
    for (const v of [l.modelNll, l.ngramNll, l.unigramNll]) expect(v).toBeGreaterThan(0);
    expect(report.verdict!.some((v) => v.includes('5-gram baseline'))).toBe(true);
    expect(report.verdict!.some((v) => v.startsWith('The generated pieces are'))).toBe(true);
    const json = JSON.parse(await readFile(path.join(dir, 'r4', 'report.json'), 'utf8')) as EvaluationReport;
    expect(json.likelihood!.targets).toBe(l.targets);
  });

  it('asks for --ngram-train when the model does not list its training pieces, and uses it', async () => {
    const bad = await run(
      '--reference',
      path.join(dir, 'ref'),
      '--model',
      path.join(dir, 'model-unlisted'),
      '--output',
      path.join(dir, 'r5'),
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /^cadenza: The model in .* does not list its training pieces .* give --ngram-train <MIDI folder>/,
    );
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    const r = await run(
      '--reference',
      path.join(dir, 'ref'),
      '--model',
      path.join(dir, 'model-unlisted'),
      '--ngram-train',
      path.join(dir, 'train'),
      '--output',
      path.join(dir, 'r6'),
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const { report } = JSON.parse(r.out) as { report: EvaluationReport };
    expect(report.likelihood!.pieces).toBe(1);
    expect(report.likelihood!.trainingSource).toBe('--ngram-train');
    expect(report.likelihood!.targets).toBe(heldOutIds - 8);
  });
});

describe('cadenza tokenize --model', () => {
  it('prints the tokens and their ids in the model’s vocabulary', async () => {
    let out = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    let code: number;
    try {
      code = await main([
        'node',
        'cadenza',
        'tokenize',
        path.join(dir, 'ref', 'r2.mid'),
        '--model',
        path.join(dir, 'model'),
        '--json',
      ]);
    } finally {
      o.mockRestore();
    }
    expect(code).toBe(0);
    const r = JSON.parse(out) as { tokens: string[]; ids: number[] };
    const config = JSON.parse(
      await readFile(path.join(dir, 'model', 'config.json'), 'utf8'),
    ) as LstmModelConfig;
    expect(r.ids).toHaveLength(heldOutIds);
    expect(r.ids.map((id) => config.vocab.tokens[id])).toEqual(r.tokens);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPOSER_PRESETS } from '../../common/models/composer';
import { Rng } from '../../common/random';
import type { Note, Song } from '../../common/song/song';
import { emptySong } from '../../common/song/song';
import { RemiGrammar, RemiTokenizer, parseRemiToken } from '../../common/tokenize/remi';
import type { Vocabulary } from '../../common/tokenize/types';
import { blas } from '../tensor/blas';
import { elementwise } from '../tensor/elementwise';
import { loadComposer } from '../models/composer/config';
import { ComposerEngine } from '../models/composer/engine';
import { sampleComposer } from '../models/composer/sample';
import { openComposerScorer } from '../models/composer/score';
import { trainComposer, transpositionTable } from './trainComposer';

const tokenizer = new RemiTokenizer();
const vocab: Vocabulary = { kind: 'remi', tokens: tokenizer.baseTokens(), counts: tokenizer.baseTokens().map(() => 1) };
const index = new Map(vocab.tokens.map((t, i) => [t, i]));

/** A piece: a one-bar motif of a major scale, repeated and moved by a fifth, over a bass note per bar. */
function piece(rng: Rng): Uint16Array {
  const tonic = 55 + rng.int(12);
  const scale = [0, 2, 4, 5, 7, 9, 11, 12];
  const motif = Array.from({ length: 4 }, () => scale[rng.int(scale.length)]!);
  const s: Song = emptySong(480);
  const notes: Note[] = [];
  for (let bar = 0; bar < 8; bar++) {
    const shift = bar % 4 === 2 ? 7 : 0;
    notes.push({ pitch: tonic - 24 + shift, velocity: 64, startTicks: bar * 1920, endTicks: bar * 1920 + 1920, track: 0, channel: 0 });
    motif.forEach((m, k) => notes.push({ pitch: tonic + m + shift, velocity: 64, startTicks: bar * 1920 + k * 480, endTicks: bar * 1920 + k * 480 + 480, track: 0, channel: 0 }));
  }
  s.notes = notes;
  return Uint16Array.from(tokenizer.encode(s), (t) => index.get(t)!);
}

describe('trainComposer', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-composer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new Rng(11);
  const pieces = Array.from({ length: 24 }, (_, i) => ({ id: `p${i}`, split: (i < 20 ? 'train' : 'valid') as 'train' | 'valid', tokens: piece(rng) }));

  it('learns: held-out NLL far below the unigram, and its samples keep the grammar and the key', async () => {
    const preset = COMPOSER_PRESETS.tiny;
    const result = await trainComposer(
      { vocab, pieces, index: pieces.map((p) => ({ id: p.id, sha256: `hash-${p.id}` })) },
      { modelDir: path.join(dir, 'm'), architecture: preset.architecture, training: { ...preset.training, steps: 150, validateEvery: 50, transpositions: [-2, 0, 2] } },
    );
    const m = result.config.metrics;
    expect(m.validScope).toBe('whole validation pieces');
    expect(result.config.training.elementwise).toBe(elementwise().kind);
    expect(result.config.training.elementwiseReason).toMatch(/element-wise kernels/);
    expect(m.validNll).toBeLessThan(m.unigramNll * 0.6);
    expect(result.config.trainingPieces?.map((p) => p.sha256)).toContain('hash-p0');
    expect(result.config.validPieces?.map((p) => p.id)).toEqual(['p20', 'p21', 'p22', 'p23']);
    // The pieces repeat their motif bar after bar: the fitted piece memory must predict held-out pieces better.
    const memory = result.config.memory!;
    expect(memory.fittedPieces).toBe(20);
    expect(Math.max(...memory.weights)).toBeGreaterThan(0.3);
    expect(memory.validNll).toBeLessThan(m.validNll * 0.9);
    // evaluate's scorer uses the memory and also reports the model alone, which is the training's own figure.
    const scorer = await openComposerScorer(result.modelDir);
    const held = scorer.nllMany(pieces.filter((p) => p.split === 'valid').map((p) => p.tokens));
    expect(held.sumNats / held.targets).toBeCloseTo(memory.validNll, 4);
    expect(held.withoutMemoryNats! / held.targets).toBeCloseTo(m.validNll, 4);

    const { config, weights } = await loadComposer(result.modelDir);
    const engine = new ComposerEngine(config.architecture, weights, blas().sgemm);
    const [ids] = sampleComposer(engine, config.vocab.tokens, [{ primer: [], seed: 3 }], {
      sampling: { temperature: 1, topK: 0, topP: 0.95, maxRepeat: 0 },
      maxTokens: 120,
      isComplete: () => false,
    });
    const g = new RemiGrammar();
    for (const id of ids!) {
      const t = parseRemiToken(config.vocab.tokens[id]!);
      expect(g.allows(t)).toBe(true);
      g.advance(t!);
    }
    const song = tokenizer.decode(ids!.map((id) => config.vocab.tokens[id]!));
    expect(song.notes.length).toBeGreaterThan(10);
    // The training pieces hold eight pitch classes at most (a major scale and its fifth); so should its samples mostly.
    const classes = new Map<number, number>();
    for (const n of song.notes) classes.set(n.pitch % 12, (classes.get(n.pitch % 12) ?? 0) + 1);
    const top7 = [...classes.values()].sort((a, b) => b - a).slice(0, 7).reduce((a, b) => a + b, 0);
    expect(top7 / song.notes.length).toBeGreaterThan(0.8);
  }, 120_000);

  it('resumes from its checkpoint and refuses a resume with other settings', async () => {
    const preset = COMPOSER_PRESETS.tiny;
    const modelDir = path.join(dir, 'r');
    const training = { ...preset.training, steps: 20, validateEvery: 10 };
    const controller = new AbortController();
    let steps = 0;
    await expect(
      trainComposer({ vocab, pieces }, {
        modelDir,
        architecture: preset.architecture,
        training,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.stage === 'train' && ++steps === 12) controller.abort();
        },
      }),
    ).rejects.toThrow(/cancel/i);
    const resumed = await trainComposer({ vocab, pieces }, { modelDir, architecture: preset.architecture, training, resume: true });
    expect(resumed.config.metrics.steps).toBe(20);
    await expect(trainComposer({ vocab, pieces }, { modelDir, architecture: preset.architecture, training: { ...training, learningRate: 0.5 }, resume: true })).rejects.toThrow(/other settings/);
  }, 60_000);

  it('transposes pitch tokens only, and marks pitches that leave the piano', () => {
    const up = transpositionTable(vocab, 2);
    expect(vocab.tokens[up[index.get('P_60')!]!]).toBe('P_62');
    expect(up[index.get('Pos_5')!]).toBe(index.get('Pos_5'));
    expect(up[index.get('P_108')!]).toBe(-1);
  });
});

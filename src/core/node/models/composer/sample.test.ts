import { describe, expect, it } from 'vitest';
import { distinctNgramRatio, chordEvents } from '../../../common/evaluate/repetition';
import { COMPOSER_PRESETS } from '../../../common/models/composer';
import { untrainedMemory } from '../../../common/models/pieceMemory';
import { compareNotes, emptySong } from '../../../common/song/song';
import { RemiTokenizer } from '../../../common/tokenize/remi';
import { blas } from '../../tensor/blas';
import { ComposerEngine } from './engine';
import { sampleComposer } from './sample';
import { initComposerWeights } from './weights';

const tokenizer = new RemiTokenizer();
const tokens = tokenizer.baseTokens();
const architecture = { ...COMPOSER_PRESETS.tiny.architecture, vocabSize: tokens.length };
const engine = new ComposerEngine(architecture, initComposerWeights(architecture, 5), blas().sgemm);
// A memory that trusts every match almost fully: left alone, a sampled piece copies itself into a loop.
const memory = { ...untrainedMemory(), weights: untrainedMemory().weights.map(() => 0.95) };

const index = new Map(tokens.map((t, i) => [t, i]));
/** A primer: four bars of a C major figure of ten onsets over a held bass note, the same each bar. */
const primer = (() => {
  const song = emptySong(480);
  const figure = [60, 64, 67, 72, 71, 67, 64, 62, 65, 69];
  for (let bar = 0; bar < 4; bar++) {
    song.notes.push({ pitch: 36, velocity: 64, startTicks: bar * 1920, endTicks: bar * 1920 + 1920, track: 0, channel: 0 });
    figure.forEach((p, k) => song.notes.push({ pitch: p, velocity: 64, startTicks: bar * 1920 + k * 192, endTicks: bar * 1920 + k * 192 + 192, track: 0, channel: 0 }));
  }
  song.notes.sort(compareNotes);
  return tokenizer.encode(song).map((t) => index.get(t)!);
})();

/** Distinct 4-grams of onset groups in the first 40 groups and in the last third of each sampled piece. */
function distinct4(memoryBudget: number): { early: number[]; late: number[] } {
  const pieces = sampleComposer(engine, tokens, [1, 2, 3].map((seed) => ({ primer, seed })), {
    sampling: { temperature: 0.9, topK: 0, topP: 0.9, maxRepeat: 4 },
    maxTokens: 2400,
    isComplete: () => false,
    memory,
    memoryBudget,
  });
  const groups = pieces.map((ids) => chordEvents(tokenizer.decode(ids.map((id) => tokens[id]!))).map(hash));
  return {
    early: groups.map((g) => distinctNgramRatio(g.slice(0, 40), 4)),
    late: groups.map((g) => distinctNgramRatio(g.slice(Math.floor((g.length * 2) / 3)), 4)),
  };
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

describe('sampleComposer with a memory budget', () => {
  it('keeps a long piece from copying itself into one texture, where the unbudgeted memory loops', () => {
    const free = distinct4(1);
    const budgeted = distinct4(0.3);
    // Unbudgeted, the primer's bar is copied for the whole piece (the cycle breaker only nudges it).
    for (const d of free.late) expect(d).toBeLessThan(0.3);
    // Budgeted, the piece still starts by repeating its primer, but does not stay in it.
    for (const d of budgeted.early) expect(d).toBeLessThan(0.7);
    for (const d of budgeted.late) expect(d).toBeGreaterThan(0.6);
  }, 60_000);
});

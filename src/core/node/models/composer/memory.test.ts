import { describe, expect, it } from 'vitest';
import type { ComposerArchitecture } from '../../../common/models/composer';
import { untrainedMemory } from '../../../common/models/pieceMemory';
import { Rng } from '../../../common/random';
import { blas } from '../../tensor/blas';
import { ComposerEngine } from './engine';
import { scorePieces } from './likelihood';
import { fitComposerMemory, scoreWithMemory } from './memory';
import { initComposerWeights } from './weights';

const arch: ComposerArchitecture = { kind: 'composer', vocabSize: 12, forwardUnits: [8], backwardUnits: 4, lookback: 3, dropout: 0 };
// An untrained engine: its predictions know nothing of the pieces' repeats.
const engine = new ComposerEngine(arch, initComposerWeights(arch, 5), blas().sgemm);

/** Pieces that play a random 24-token phrase, then play it again, then a new one. */
function pieces(seed: number, count: number): Uint16Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const phrase = Array.from({ length: 24 }, () => rng.int(arch.vocabSize));
    const other = Array.from({ length: 24 }, () => rng.int(arch.vocabSize));
    return Uint16Array.from([...phrase, ...phrase, ...other, ...phrase]);
  });
}

describe('the composer with its piece memory', () => {
  it('scores exactly as the model alone while the memory is untrained', () => {
    const ps = pieces(1, 5);
    const plain = scorePieces(engine, ps);
    const mixed = scoreWithMemory(engine, ps, untrainedMemory(), undefined);
    expect(mixed.targets).toBe(plain.targets);
    expect(mixed.nats).toBeCloseTo(plain.nats, 3);
    expect(mixed.modelNats).toBeCloseTo(plain.nats, 3);
    expect(mixed.proposed).toBeGreaterThan(0);
  });

  it('fits weights on some pieces that predict other, unseen pieces far better', () => {
    const fit = fitComposerMemory(engine, pieces(2, 30), undefined);
    expect(fit.mixedNll).toBeLessThan(fit.modelNll * 0.8);
    const held = scoreWithMemory(engine, pieces(3, 10), fit.settings, undefined);
    // About half of each held-out piece is a repeat: the memory must take a large share of the loss off.
    expect(held.nats / held.targets).toBeLessThan((held.modelNats / held.targets) * 0.8);
  });
});

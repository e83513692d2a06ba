/**
 * A small synthetic "language" with learnable structure, for training tests and benchmarks:
 * pieces made of repeated motifs with a little noise. A model that learns the motifs predicts
 * the next token far better than the token frequencies alone (the unigram baseline).
 */
import { Rng } from '../../common/random';
import type { LstmTrainingData } from './trainLstm';

/** `pieces` pieces of about `length` tokens over `vocabSize` tokens, seeded. */
export function motifDataset(options: { vocabSize?: number; pieces?: number; length?: number; seed?: number } = {}): LstmTrainingData {
  const { vocabSize = 24, pieces = 12, length = 400, seed = 7 } = options;
  const rng = new Rng(seed);
  const motifs = Array.from({ length: 6 }, () => Array.from({ length: 4 + rng.int(5) }, () => rng.int(vocabSize)));
  const out: LstmTrainingData['pieces'] = [];
  for (let p = 0; p < pieces; p++) {
    const tokens: number[] = [];
    while (tokens.length < length) {
      const motif = motifs[rng.int(motifs.length)]!;
      for (const t of motif) tokens.push(rng.next() < 0.05 ? rng.int(vocabSize) : t);
    }
    out.push({ id: `piece-${p}`, split: p % 4 === 3 ? 'valid' : 'train', tokens: Uint16Array.from(tokens.slice(0, length)) });
  }
  const counts = new Array<number>(vocabSize).fill(0);
  for (const p of out) if (p.split === 'train') for (const t of p.tokens) counts[t]!++;
  return { vocab: { kind: 'notes', tokens: Array.from({ length: vocabSize }, (_, i) => `t${i}`), counts }, pieces: out };
}

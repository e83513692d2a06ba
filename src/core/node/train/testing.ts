/**
 * A small synthetic "language" with learnable structure, for training tests and benchmarks:
 * pieces made of repeated motifs with a little noise. A model that learns the motifs predicts
 * the next token far better than the token frequencies alone (the unigram baseline).
 */
import { Rng } from '../../common/random';
import type { PreprocessManifest } from '../preprocess/types';
import { DATASET_FORMAT_VERSION } from '../preprocess/types';
import { writeTokenDataset } from '../preprocess/write';
import type { LstmTrainingData } from './trainLstm';

/** `pieces` pieces of about `length` tokens over `vocabSize` tokens, seeded. */
export function motifDataset(
  options: { vocabSize?: number; pieces?: number; length?: number; seed?: number } = {},
): LstmTrainingData {
  const { vocabSize = 24, pieces = 12, length = 400, seed = 7 } = options;
  const rng = new Rng(seed);
  const motifs = Array.from({ length: 6 }, () =>
    Array.from({ length: 4 + rng.int(5) }, () => rng.int(vocabSize)),
  );
  const out: LstmTrainingData['pieces'] = [];
  for (let p = 0; p < pieces; p++) {
    const tokens: number[] = [];
    while (tokens.length < length) {
      const motif = motifs[rng.int(motifs.length)]!;
      for (const t of motif) tokens.push(rng.next() < 0.05 ? rng.int(vocabSize) : t);
    }
    out.push({
      id: `piece-${p}`,
      split: p % 4 === 3 ? 'valid' : 'train',
      tokens: Uint16Array.from(tokens.slice(0, length)),
    });
  }
  const counts = new Array<number>(vocabSize).fill(0);
  for (const p of out) if (p.split === 'train') for (const t of p.tokens) counts[t]!++;
  return {
    vocab: { kind: 'notes', tokens: Array.from({ length: vocabSize }, (_, i) => `t${i}`), counts },
    pieces: out,
  };
}

/** Writes `data` as a preprocessed folder (as `cadenza preprocess` would), for CLI tests and benchmarks. */
export async function writeMotifDataset(dir: string, data: LstmTrainingData = motifDataset()): Promise<void> {
  let offset = 0;
  const index = data.pieces.map((p) => {
    const entry = { id: p.id, path: `/synthetic/${p.id}`, offset, length: p.tokens.length, split: p.split };
    offset += p.tokens.length;
    return entry;
  });
  const tokens = new Uint16Array(offset);
  data.pieces.forEach((p, i) => tokens.set(p.tokens, index[i]!.offset));
  const count = (split: 'train' | 'valid'): number => data.pieces.filter((p) => p.split === split).length;
  const tokenCount = (split: 'train' | 'valid'): number =>
    data.pieces.filter((p) => p.split === split).reduce((n, p) => n + p.tokens.length, 0);
  const manifest: PreprocessManifest = {
    formatVersion: DATASET_FORMAT_VERSION,
    kind: 'notes',
    createdAt: new Date(0).toISOString(),
    inputPath: '/synthetic',
    corpusHash: 'synthetic-motifs',
    tokenizerOptions: {},
    seed: 1,
    validFraction: 0.25,
    minCount: 1,
    seqLength: 64,
    tokenDtype: 'uint16le',
    counts: {
      files: data.pieces.length,
      pieces: data.pieces.length,
      trainPieces: count('train'),
      validPieces: count('valid'),
      notes: offset,
      events: offset,
      tokens: offset,
      trainTokens: tokenCount('train'),
      validTokens: tokenCount('valid'),
      vocabSize: data.vocab.tokens.length,
    },
    coverage: {
      events: offset,
      exactEventShare: 1,
      decomposedEventShare: 0,
      approximatedEventShare: 0,
      unknownTokenShare: 0,
      distinctTokensBeforeCut: data.vocab.tokens.length,
    },
    skipped: [],
    timings: { readSeconds: 0, tokenizeSeconds: 0, writeSeconds: 0, totalSeconds: 0 },
  };
  await writeTokenDataset(dir, { vocab: data.vocab, index, tokens, manifest });
}

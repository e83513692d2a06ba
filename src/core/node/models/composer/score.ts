/**
 * The composer as a likelihood model for `cadenza evaluate --model`: nats per token of whole
 * pieces, under the model with its piece memory when the folder has one (as it generates).
 */
import type { NllSum } from '../../../common/evaluate/ngram';
import type { Vocabulary } from '../../../common/tokenize/types';
import { blas } from '../../tensor/blas';
import type { ComposerModelConfig } from './config';
import { loadComposer } from './config';
import { ComposerEngine } from './engine';
import { remiPitchReading } from '../../../common/models/pieceMemory';
import { scoreWithMemory } from './memory';
import { scorePieces } from './likelihood';

/** A loaded composer that scores token sequences. */
export interface ComposerScorer {
  modelPath: string;
  format: 'cadenza-composer';
  /** 0: every token of a piece is scored, the first from the start id. */
  firstTarget: 0;
  trainingPieces?: readonly { id: string; sha256: string }[];
  config: ComposerModelConfig;
  tokenizer: ComposerModelConfig['tokenizer'];
  vocab: Vocabulary;
  /** Summed NLL (nats) of every token of `ids`, each predicted from all before it (the first from the start). */
  nll(ids: Uint16Array): NllSum;
  /** The same for many pieces at once (faster: they share the matrix products). */
  nllMany(pieces: readonly Uint16Array[]): NllSum;
  dispose(): void;
}

/** Opens the composer in `dir` for scoring; throws `ModelError` naming the folder. */
export async function openComposerScorer(dir: string): Promise<ComposerScorer> {
  const { config, weights } = await loadComposer(dir);
  const engine = new ComposerEngine(config.architecture, weights, blas().sgemm);
  const many = (pieces: readonly Uint16Array[]): NllSum => {
    const kept = pieces.filter((p) => p.length > 0);
    if (config.memory) {
      const r = scoreWithMemory(engine, kept, config.memory, remiPitchReading(config.vocab.tokens));
      return { sumNats: r.nats, targets: r.targets, withoutMemoryNats: r.modelNats };
    }
    const r = scorePieces(engine, kept);
    return { sumNats: r.nats, targets: r.targets };
  };
  return {
    modelPath: dir,
    format: 'cadenza-composer',
    firstTarget: 0,
    ...(config.trainingPieces ? { trainingPieces: config.trainingPieces } : {}),
    config,
    tokenizer: config.tokenizer,
    vocab: config.vocab,
    nll: (ids) => many([ids]),
    nllMany: many,
    dispose: () => {},
  };
}

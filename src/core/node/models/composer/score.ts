/** The composer as a likelihood model for `cadenza evaluate --model`: nats per token of whole pieces. */
import type { Vocabulary } from '../../../common/tokenize/types';
import { blas } from '../../tensor/blas';
import type { ComposerModelConfig } from './config';
import { loadComposer } from './config';
import { ComposerEngine } from './engine';
import { scorePieces } from './train';

/** A loaded composer that scores token sequences. */
export interface ComposerScorer {
  config: ComposerModelConfig;
  tokenizer: ComposerModelConfig['tokenizer'];
  vocab: Vocabulary;
  /** Summed NLL (nats) of every token of `ids`, each predicted from all before it (the first from the start). */
  nll(ids: Uint16Array): { sumNats: number; targets: number };
  /** The same for many pieces at once (faster: they share the matrix products). */
  nllMany(pieces: readonly Uint16Array[]): { sumNats: number; targets: number };
}

/** Opens the composer in `dir` for scoring; throws `ModelError` naming the folder. */
export async function openComposerScorer(dir: string): Promise<ComposerScorer> {
  const { config, weights } = await loadComposer(dir);
  const engine = new ComposerEngine(config.architecture, weights, blas().sgemm);
  const many = (pieces: readonly Uint16Array[]): { sumNats: number; targets: number } => {
    const r = scorePieces(engine, pieces.filter((p) => p.length > 0));
    return { sumNats: r.nats, targets: r.targets };
  };
  return { config, tokenizer: config.tokenizer, vocab: config.vocab, nll: (ids) => many([ids]), nllMany: many };
}

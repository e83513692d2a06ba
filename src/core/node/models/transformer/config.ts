/** The transformer's model folder format: what its config.json holds. */
import type { TransformerArchitecture, TransformerTrainSettings } from '../../../common/models/transformer';
import type { Vocabulary } from '../../../common/tokenize/types';
import type { GpuAdapterInfo } from '../../tensor/webgpu';
import type { PieceRef } from '../pieces';

/** The model folder's config.json for a transformer. */
export interface TransformerConfig {
  format: 'cadenza-transformer';
  version: 1;
  architecture: TransformerArchitecture;
  tokenizer: { kind: 'performance'; options?: Record<string, unknown> };
  vocab: Vocabulary;
  corpusHash?: string;
  training: TransformerTrainSettings & { backend?: string; blasLibrary?: string; blasThreads?: number; adapter?: GpuAdapterInfo };
  metrics: {
    validNll?: number;
    validPerplexity?: number;
    unigramNll?: number;
    epochs: number;
    steps: number;
    bestEpoch?: number;
    trainSeconds: number;
  };
  credits?: string;
  /** The pieces it was trained on, by id and file hash, so `evaluate --model` scores only others. */
  trainingPieces?: PieceRef[];
}

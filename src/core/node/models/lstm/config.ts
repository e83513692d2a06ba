/**
 * `config.json` of an LSTM model folder: everything needed to rebuild the model and its
 * tokenizer, and to know where it came from and how good it is. The ONNX exporter and
 * `cadenza generate` read it; docs/MODELS.md describes it.
 */
import path from 'node:path';
import { ModelError } from '../../../common/errors';
import type { LstmArchitecture, LstmTrainSettings } from '../../../common/models/lstm';
import { lstmWeightShapes } from '../../../common/models/lstm';
import type { TokenizerKind, Vocabulary } from '../../../common/tokenize/types';
import { readJson } from '../../fs/atomic';
import type { PieceRef } from '../pieces';

/** The folder format's name and version. */
export const LSTM_MODEL_FORMAT = 'cadenza-lstm';
/** Bumped when an old reader would misread a new folder. */
export const LSTM_MODEL_VERSION = 1;

/** Held-out quality, in nats per event (lower is better). */
export interface LstmMetrics {
  /** Mean negative log-likelihood of the next token on the validation pieces. */
  validNll: number;
  /** The same for the unigram distribution of the training split (add-one smoothed). */
  unigramNll: number;
  /** The same for the original tool's design (float index input) at the same size and time, when measured. */
  seedDesignNll?: number;
  /** Top-1 accuracy on the validation targets (0..1). */
  validAccuracy?: number;
  /** Top-1 accuracy of the seed design baseline, when measured. */
  seedDesignAccuracy?: number;
  /** Mean training loss of the last epoch. */
  trainLoss?: number;
  /** Epochs run. */
  epochs: number;
  /** Optimizer steps run. */
  steps: number;
  /** Epoch whose weights were kept (the best validation loss). */
  bestEpoch: number;
  /** Validation targets scored. */
  validTargets: number;
  /** Wall-clock seconds of training. */
  trainSeconds: number;
}

/** What `config.json` holds. */
export interface LstmModelConfig {
  format: typeof LSTM_MODEL_FORMAT;
  version: number;
  architecture: LstmArchitecture;
  /** The tokenizer that made the vocabulary, with its options (as in the preprocess manifest). */
  tokenizer: { kind: TokenizerKind } & Record<string, unknown>;
  vocab: Vocabulary;
  /** The preprocess manifest's corpus hash ('' when trained on data without one). */
  corpusHash: string;
  /** How it was trained, and on which kernel provider (`blas`, or a TF.js backend: `wasm`, `tensorflow`, ...). */
  training: LstmTrainSettings & {
    backend: string;
    backendReason: string;
    /** Which element-wise kernels ran ('wasm-simd' or 'js'; absent in folders trained before they existed), and why. */
    elementwise?: string;
    elementwiseReason?: string;
    /** The native library, when the provider was `blas`. */
    blasLibrary?: string;
    /** Threads inside each BLAS product (results do not depend on it). */
    blasThreads?: number;
    /** Threads that computed gradients (results depend on it). */
    threads?: number;
    preset?: string;
    dataPath?: string;
  };
  metrics: LstmMetrics;
  /** The pieces it was trained on, by sha-256 of the MIDI file, when the data recorded them. */
  trainingPieces?: PieceRef[];
  /** Where the training data came from, and its licence, when it asks for credit. */
  credits?: string;
  /** When the folder was written (ISO 8601). */
  createdAt: string;
}

/** Reads and checks `config.json` in `dir`; throws `ModelError` naming the file when it is not a Cadenza LSTM config. */
export async function readLstmConfig(dir: string): Promise<LstmModelConfig> {
  const file = path.join(dir, 'config.json');
  let config: LstmModelConfig;
  try {
    config = await readJson<LstmModelConfig>(file);
  } catch (error) {
    throw new ModelError(`${file} could not be read; is ${dir} a Cadenza LSTM model folder?`, {
      path: file,
      cause: error,
    });
  }
  const format = (config as Partial<LstmModelConfig> | null)?.format;
  if (format !== LSTM_MODEL_FORMAT)
    throw new ModelError(
      format === undefined
        ? `${file} has no format field; ${dir} is not a Cadenza LSTM model folder.`
        : `${file} has format "${String(format)}", not "${LSTM_MODEL_FORMAT}"; ${dir} is not a Cadenza LSTM model folder.`,
      {
        path: file,
        field: 'format',
      },
    );
  if (config.version !== LSTM_MODEL_VERSION)
    throw new ModelError(
      `${file} has version ${String(config.version)}, but this Cadenza reads ${LSTM_MODEL_VERSION}.`,
      {
        path: file,
        field: 'version',
      },
    );
  const a = config.architecture;
  const valid =
    a &&
    Number.isInteger(a.vocabSize) &&
    a.vocabSize > 0 &&
    Number.isInteger(a.window) &&
    a.window > 0 &&
    Number.isInteger(a.embedding) &&
    a.embedding >= 0 &&
    Array.isArray(a.lstmUnits) &&
    a.lstmUnits.length > 0 &&
    a.lstmUnits.every((u) => Number.isInteger(u) && u > 0) &&
    Number.isInteger(a.denseUnits) &&
    a.denseUnits > 0;
  if (!valid)
    throw new ModelError(`${file} has an invalid architecture.`, { path: file, field: 'architecture' });
  if (!config.vocab || !Array.isArray(config.vocab.tokens) || config.vocab.tokens.length !== a.vocabSize)
    throw new ModelError(
      `${file}: the vocabulary must have architecture.vocabSize (${a.vocabSize}) tokens.`,
      {
        path: file,
        field: 'vocab',
      },
    );
  lstmWeightShapes(a);
  return config;
}

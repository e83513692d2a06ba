/**
 * What a model folder offers evaluation: `LikelihoodModel`, a model that scores token sequences,
 * which each model's scorer implements (`composer/score.ts`, `transformer/score.ts`, the LSTM's
 * in `evaluate/likelihoodModel.ts`), and the `trainingPieces` its config.json lists.
 */
import { ModelError } from '../../common/errors';
import type { NllSum } from '../../common/evaluate/ngram';
import type { RunOptions } from '../../common/progress';
import type { Vocabulary } from '../../common/tokenize/types';

/** The tokenizer a model was trained with: its kind and options, as in config.json. */
export type ModelTokenizerConfig = { kind: string } & Record<string, unknown>;

/** A piece a model was trained on: its id (e.g. its path in the corpus) and the sha-256 of the MIDI file's bytes. */
export interface TrainingPiece {
  id: string;
  /** Lower-case hex sha-256 of the file's bytes. */
  sha256: string;
}

/** A model that scores token-id sequences of its own vocabulary. */
export interface LikelihoodModel {
  /** The folder. */
  readonly modelPath: string;
  /** config.json's `format` (e.g. 'cadenza-lstm'). */
  readonly format: string;
  /** The tokenizer, as config.json gives it. */
  readonly tokenizer: ModelTokenizerConfig;
  /** The vocabulary; ids index `vocab.tokens`. */
  readonly vocab: Vocabulary;
  /** The pieces it was trained on, when config.json lists them (`trainingPieces`). */
  readonly trainingPieces?: readonly TrainingPiece[];
  /**
   * The first position `nll` scores: the ids before it are context only (a windowed model needs a
   * full window; 0 for a model that predicts a piece from its start). Baselines are scored on the same targets.
   */
  readonly firstTarget: number;
  /** Σ −ln p(ids[t] | ids[0..t−1]) over t ≥ firstTarget, p floored at `PROBABILITY_FLOOR`. */
  nll(ids: Uint16Array, run?: RunOptions): Promise<NllSum> | NllSum;
  /** Frees what the model holds. */
  dispose(): Promise<void> | void;
}

/** Reads `trainingPieces` of a config, checking its shape; throws `ModelError` naming the field. */
export function parseTrainingPieces(value: unknown, file: string): TrainingPiece[] | undefined {
  if (value === undefined) return undefined;
  const ok =
    Array.isArray(value) &&
    value.every(
      (p) =>
        typeof p === 'object' &&
        p !== null &&
        typeof (p as TrainingPiece).id === 'string' &&
        typeof (p as TrainingPiece).sha256 === 'string' &&
        /^[0-9a-f]{64}$/i.test((p as TrainingPiece).sha256),
    );
  if (!ok)
    throw new ModelError(
      `${file} has a trainingPieces field that is not a list of {id, sha256} with hex sha-256 hashes.`,
      {
        path: file,
        field: 'trainingPieces',
      },
    );
  return (value as TrainingPiece[]).map((p) => ({ id: p.id, sha256: p.sha256.toLowerCase() }));
}

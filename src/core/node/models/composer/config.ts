/**
 * `config.json` of a composer model folder (format `cadenza-composer`): architecture, tokenizer
 * and vocabulary, training settings, held-out figures and the pieces it was trained on (by
 * content hash, so evaluation can tell seen from unseen music wherever the files live).
 */
import path from 'node:path';
import { ModelError } from '../../../common/errors';
import type { ComposerArchitecture, ComposerTrainSettings } from '../../../common/models/composer';
import type { PieceMemorySettings } from '../../../common/models/pieceMemory';
import { CELL_KINDS, DEFAULT_MEMORY_SCALE } from '../../../common/models/pieceMemory';
import { composerWeightShapes } from '../../../common/models/composer';
import type { TokenizerKind, Vocabulary } from '../../../common/tokenize/types';
import { readJson } from '../../fs/atomic';
import type { PieceRef } from '../pieces';
import { elementCount, readWeights } from '../weights';
import type { ComposerWeights } from './engine';

/** The folder format's name. */
export const COMPOSER_MODEL_FORMAT = 'cadenza-composer';
/** Bumped when an old reader would misread a new folder. */
export const COMPOSER_MODEL_VERSION = 1;

/** Held-out quality, nats per token. */
export interface ComposerMetrics {
  /** Mean NLL of the validation tokens, each predicted from everything before it in its piece. */
  validNll: number;
  /** Top-1 accuracy on them. */
  validAccuracy: number;
  /** Tokens scored. */
  validTargets: number;
  /** Which tokens: whole pieces (final) or each piece's first N (during training). */
  validScope: string;
  /** Add-one unigram of the training tokens on the same targets. */
  unigramNll: number;
  /** Smoothed 5-gram on the same targets, when measured (`cadenza evaluate --model`). */
  ngramNll?: number;
  steps: number;
  bestStep: number;
  trainSeconds: number;
  /** Training targets seen (steps x streams x chunk tokens, padding included). */
  trainTargets: number;
}

export type { PieceRef } from '../pieces';

/** The piece memory as stored: its settings and what fitting measured. */
export interface ComposerMemory extends PieceMemorySettings {
  /** Pieces and targets (from the training split) the weights were fitted on. */
  fittedPieces: number;
  fittedTargets: number;
  /** Validation NLL, nats/token, of the model with the memory (beside `metrics.validNll`, the model alone). */
  validNll: number;
  /**
   * The share of the weights generation uses by default, 0..1: a sampled piece hears its own
   * samples, so full weights feed loops; chosen so that pieces repeat themselves as much as the
   * training pieces do (see docs/MODELS.md).
   */
  sampleScale?: number;
}

/** The memory share sampling uses: the one asked for, else the folder's, else the default. */
export function memoryScaleOf(memory: ComposerMemory, requested?: number): number {
  return requested ?? memory.sampleScale ?? DEFAULT_MEMORY_SCALE;
}

/** What `config.json` holds. */
export interface ComposerModelConfig {
  format: typeof COMPOSER_MODEL_FORMAT;
  version: number;
  architecture: ComposerArchitecture;
  tokenizer: { kind: TokenizerKind } & Record<string, unknown>;
  vocab: Vocabulary;
  corpusHash: string;
  training: ComposerTrainSettings & {
    kernels: string;
    kernelLibrary: string;
    kernelReason: string;
    /** Which element-wise kernels ran ('wasm-simd' or 'js'; absent in folders trained before they existed), and why. */
    elementwise?: string;
    elementwiseReason?: string;
    threads: number;
    preset?: string;
  };
  metrics: ComposerMetrics;
  trainingPieces?: PieceRef[];
  validPieces?: PieceRef[];
  /** The fitted piece memory mixed into sampling and scoring; absent in older folders (the model alone). */
  memory?: ComposerMemory;
  credits?: string;
  createdAt: string;
}

/** Whether the folder's config.json says `cadenza-composer` (cheap check before choosing a reader). */
export async function isComposerFolder(dir: string): Promise<boolean> {
  try {
    const config = await readJson<{ format?: string }>(path.join(dir, 'config.json'));
    return config?.format === COMPOSER_MODEL_FORMAT;
  } catch {
    return false;
  }
}

/** Reads and checks `config.json` in `dir`; throws `ModelError` naming the file. */
export async function readComposerConfig(dir: string): Promise<ComposerModelConfig> {
  const file = path.join(dir, 'config.json');
  let config: ComposerModelConfig;
  try {
    config = await readJson<ComposerModelConfig>(file);
  } catch (error) {
    throw new ModelError(`${file} could not be read; is ${dir} a Cadenza model folder?`, { path: file, cause: error });
  }
  if (config?.format !== COMPOSER_MODEL_FORMAT)
    throw new ModelError(`${file} has format "${String(config?.format)}", not "${COMPOSER_MODEL_FORMAT}".`, { path: file, field: 'format' });
  if (config.version !== COMPOSER_MODEL_VERSION)
    throw new ModelError(`${file} has version ${String(config.version)}, but this Cadenza reads ${COMPOSER_MODEL_VERSION}.`, { path: file, field: 'version' });
  const a = config.architecture;
  const posInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
  const valid =
    a?.kind === 'composer' &&
    posInt(a.vocabSize) &&
    Array.isArray(a.forwardUnits) &&
    a.forwardUnits.length > 0 &&
    a.forwardUnits.every(posInt) &&
    posInt(a.backwardUnits) &&
    posInt(a.lookback);
  if (!valid) throw new ModelError(`${file} has an invalid architecture.`, { path: file, field: 'architecture' });
  if (!Array.isArray(config.vocab?.tokens) || config.vocab.tokens.length !== a.vocabSize)
    throw new ModelError(`${file}: the vocabulary must have architecture.vocabSize (${a.vocabSize}) tokens.`, { path: file, field: 'vocab' });
  const m = config.memory;
  if (
    m !== undefined &&
    !(
      Number.isInteger(m.minMatch) &&
      m.minMatch >= 1 &&
      m.minMatch <= 4 &&
      Number.isInteger(m.maxMatch) &&
      m.maxMatch >= m.minMatch &&
      Array.isArray(m.bandStarts) &&
      m.bandStarts[0] === m.minMatch &&
      Array.isArray(m.weights) &&
      m.weights.length === m.bandStarts.length * CELL_KINDS &&
      m.weights.every((w) => typeof w === 'number' && w >= 0 && w < 1)
    )
  )
    throw new ModelError(`${file} has an invalid memory (minMatch 1 to 4, ${CELL_KINDS} weights from 0 to below 1 per band).`, { path: file, field: 'memory' });
  return config;
}

/** The weights as one flat array in layout order. */
export function flattenWeights(a: ComposerArchitecture, weights: ComposerWeights): Float32Array {
  const shapes = composerWeightShapes(a);
  const flat = new Float32Array(shapes.reduce((n, [, s]) => n + elementCount(s), 0));
  let at = 0;
  for (const [name] of shapes) {
    const w = weights.get(name)!;
    flat.set(w, at);
    at += w.length;
  }
  return flat;
}

/** Reads a composer folder: config and named weights. */
export async function loadComposer(dir: string): Promise<{ config: ComposerModelConfig; weights: ComposerWeights }> {
  const config = await readComposerConfig(dir);
  const shapes = composerWeightShapes(config.architecture);
  const flat = await readWeights(dir, shapes);
  const weights: ComposerWeights = new Map();
  let at = 0;
  for (const [name, shape] of shapes) {
    const n = elementCount(shape);
    weights.set(name, flat.slice(at, at + n));
    at += n;
  }
  return { config, weights };
}

/**
 * Trains the notes-and-chords BiLSTM on a token dataset and writes a model folder:
 * `config.json`, `weights.bin` + `weights.json`, `training-log.jsonl` and `checkpoint/`.
 * The data can come from `loadTokenDataset` or be built in memory (tests): only `vocab` and
 * `pieces` are read.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError, ModelError, UsageError } from '../../common/errors';
import { tokenCounts, unigramLikelihood } from '../../common/evaluate/likelihood';
import type { LstmArchitecture, LstmTrainSettings } from '../../common/models/lstm';
import type { RunOptions } from '../../common/progress';
import { Rng } from '../../common/random';
import type { TokenizerKind, Vocabulary } from '../../common/tokenize/types';
import { ioError, writeJsonAtomic } from '../fs/atomic';
import type { LstmMetrics, LstmModelConfig } from '../models/lstm/config';
import { LSTM_MODEL_FORMAT, LSTM_MODEL_VERSION, readLstmConfig } from '../models/lstm/config';
import { BiLstmEngine } from '../models/lstm/engine';
import type { LstmWeights } from '../models/lstm/weights';
import { initLstmWeights, saveLstmWeights } from '../models/lstm/weights';
import type { KernelRequest } from '../tensor/kernels';
import { elementwise } from '../tensor/elementwise';
import { selectKernels } from '../tensor/kernels';
import { activateWebGpu, autoWebGpu, describeAdapter } from '../tensor/webgpu';
import { DeviceLstmTrainable } from './deviceLstm';
import type { LoopResult, Trainable } from './loop';
import { hasCheckpoint } from './checkpoint';
import { piecesByHash } from '../models/pieces';
import { runTrainingLoop } from './loop';
import { GradientWorkers, parallelGradients } from './parallel';
import type { WindowSet } from './windows';
import { buildWindows, fillBatch, spreadSubset } from './windows';

/** The data training reads: a `TokenDataset` fits, and so does an in-memory one. */
export interface LstmTrainingData {
  vocab: Vocabulary;
  pieces: { id: string; split: 'train' | 'valid'; tokens: Uint16Array }[];
  /** Provenance, when the data came from `cadenza preprocess`. */
  manifest?: { corpusHash: string; kind: TokenizerKind; tokenizerOptions: Record<string, unknown> };
  /** The data's index, when it has one: pieces with a `sha256` are recorded in config.json as `trainingPieces`. */
  index?: readonly { id: string; sha256?: string }[];
}

/** What to train and where to put it. */
export interface TrainLstmOptions extends RunOptions {
  /** The model folder to write. */
  modelDir: string;
  /** Sizes (the vocabulary size comes from the data). */
  architecture: Omit<LstmArchitecture, 'vocabSize'>;
  training: LstmTrainSettings;
  /** The preset the settings started from, for the record. */
  preset?: string;
  /** Continue from the checkpoint in `modelDir/checkpoint`. */
  resume?: boolean;
  /** Kernel provider for the matrix products: `blas`, a TF.js backend, or `auto` (default: the fastest present). */
  backend?: KernelRequest | 'webgpu';
  /** A BLAS library file to try before the system's (a user-given path, e.g. from Settings). */
  blasLibrary?: string;
  /** Threads computing gradients (data parallel; default 1). Results depend on it, so resume needs the same. */
  threads?: number;
  /**
   * Threads inside each BLAS product (provider `blas` only; default 1). OpenBLAS's thread count is
   * one per process, so with data-parallel `threads` above 1 it is always 1.
   */
  blasThreads?: number;
  /** Stop after this many seconds of training (used to give baselines the same time). */
  timeLimitSeconds?: number;
  /** Element type of the written weights (default float32). */
  weightsDtype?: 'float32' | 'float16';
  /** Where the data was read from, for the record. */
  dataPath?: string;
  /** Credit line for the training data, stored in config.json. */
  credits?: string;
  /** Measured baseline figures to store in the metrics (see `seedDesignArchitecture`). */
  seedDesign?: { nll: number; accuracy: number };
}

/** What training produced. */
export interface TrainLstmResult {
  modelDir: string;
  config: LstmModelConfig;
  stoppedBy: LoopResult['stoppedBy'];
  /** Which kernel provider ran, and why; `elementwise`: which element-wise kernels, in words. */
  backend: { name: string; reason: string; library?: string; elementwise: string };
}

/** The files of a model folder. */
export const LSTM_MODEL_FILES = {
  config: 'config.json',
  log: 'training-log.jsonl',
  checkpoint: 'checkpoint',
} as const;

/** The original tool's design at the same sizes: the token id as one float in, no embedding. */
export function seedDesignArchitecture(
  a: Omit<LstmArchitecture, 'vocabSize'>,
): Omit<LstmArchitecture, 'vocabSize'> {
  return { ...a, embedding: 0, floatInput: true };
}

function checkSettings(a: Omit<LstmArchitecture, 'vocabSize'>, s: LstmTrainSettings): void {
  const bad = (field: string, rule: string): UsageError =>
    new UsageError(`The training setting ${field} must be ${rule}.`, { field });
  const posInt = (v: number): boolean => Number.isInteger(v) && v > 0;
  if (!posInt(a.window)) throw bad('window', 'a whole number of at least 1');
  if (!(Number.isInteger(a.embedding) && a.embedding >= 0))
    throw bad('embedding', 'a whole number of at least 0');
  if (a.lstmUnits.length === 0 || !a.lstmUnits.every(posInt))
    throw bad('lstmUnits', 'one or more whole numbers of at least 1');
  if (!posInt(a.denseUnits)) throw bad('denseUnits', 'a whole number of at least 1');
  if (!(a.dropout >= 0 && a.dropout < 1)) throw bad('dropout', 'from 0 to below 1');
  if (!posInt(s.batchSize)) throw bad('batchSize', 'a whole number of at least 1');
  if (!posInt(s.epochs)) throw bad('epochs', 'a whole number of at least 1');
  if (!(s.learningRate > 0 && s.learningRate < 10)) throw bad('learningRate', 'above 0 and below 10');
  if (!posInt(s.stride)) throw bad('stride', 'a whole number of at least 1');
  if (!(Number.isInteger(s.patience) && s.patience >= 1))
    throw bad('patience', 'a whole number of at least 1');
  if (!(Number.isInteger(s.maxStepsPerEpoch) && s.maxStepsPerEpoch >= 0))
    throw bad('maxStepsPerEpoch', 'a whole number of at least 0');
}

/** The target ids of `set`'s examples. */
function* targetsOf(set: WindowSet): Generator<number> {
  for (let k = 0; k < set.offsets.length; k++) yield set.tokens[set.offsets[k]!]!;
}

/** The BiLSTM as something the training loop can train. */
class LstmTrainable implements Trainable {
  readonly params: LstmWeights;
  readonly trainExamples: number;
  private readonly engine: BiLstmEngine;
  private readonly ids: Int32Array;
  private readonly targets: Int32Array;

  constructor(
    readonly architecture: LstmArchitecture,
    weights: LstmWeights,
    private readonly train: WindowSet,
    private readonly valid: WindowSet,
    batchSize: number,
    private readonly workers?: GradientWorkers,
  ) {
    this.params = weights;
    this.trainExamples = train.offsets.length;
    this.engine = new BiLstmEngine(architecture, weights);
    const evalBatch = Math.max(batchSize, 128);
    this.ids = new Int32Array(evalBatch * architecture.window);
    this.targets = new Int32Array(evalBatch);
  }

  /**
   * With workers, the batch is cut into `workers + 1` near-equal shares: this thread computes the
   * first while each worker computes one of the others, and the shares' mean gradients and losses
   * are combined weighted by their sizes, which is the whole batch's mean up to rounding. Each
   * share draws its dropout from its own seed, so results depend on the thread count.
   */
  async gradients(order: Int32Array, start: number, count: number, grads: LstmWeights, dropoutSeed: number): Promise<number> {
    if (!this.workers) return this.shareGradients(order, start, count, grads, dropoutSeed);
    return parallelGradients(this.workers, this.params, order, start, count, grads, dropoutSeed, (from, n, seed) =>
      this.shareGradients(order, from, n, grads, seed),
    );
  }

  /** Adds the gradient of the mean loss over examples `order[start .. start+count)` into `grads` and returns that loss. */
  private shareGradients(order: Int32Array, start: number, count: number, grads: LstmWeights, dropoutSeed: number): number {
    fillBatch(this.train, order, start, count, this.ids, this.targets);
    const w = this.architecture.window;
    const fwd = this.engine.forward(this.ids.subarray(0, count * w), count, new Rng(dropoutSeed));
    return this.engine.backward(fwd, this.targets.subarray(0, count), grads);
  }

  validate(signal?: AbortSignal): { nll: number; accuracy: number; targets: number } {
    const n = this.valid.offsets.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const batch = this.targets.length;
    const V = this.architecture.vocabSize;
    let nll = 0;
    let correct = 0;
    for (let start = 0; start < n && !signal?.aborted; start += batch) {
      const count = Math.min(batch, n - start);
      fillBatch(this.valid, order, start, count, this.ids, this.targets);
      const probs = this.engine.forward(this.ids.subarray(0, count * this.architecture.window), count).probs;
      for (let b = 0; b < count; b++) {
        const row = probs.subarray(b * V, b * V + V);
        const target = this.targets[b]!;
        nll -= Math.log(Math.max(row[target]!, 1e-30));
        let arg = 0;
        for (let v = 1; v < V; v++) if (row[v]! > row[arg]!) arg = v;
        if (arg === target) correct++;
      }
    }
    return { nll: nll / Math.max(1, n), accuracy: correct / Math.max(1, n), targets: n };
  }
}

function corpusHashOf(data: LstmTrainingData): string {
  if (data.manifest) return data.manifest.corpusHash;
  const h = createHash('sha256');
  for (const p of data.pieces)
    h.update(`${p.id}\0${p.split}\0`).update(
      new Uint8Array(p.tokens.buffer, p.tokens.byteOffset, p.tokens.byteLength),
    );
  return h.digest('hex');
}

/**
 * Trains a BiLSTM on `data` and writes the model folder `options.modelDir` (the weights with the
 * best validation loss). Throws `DataError` when the data cannot make training or validation
 * windows, `UsageError` for invalid settings, `CancelledError` when cancelled (after saving a
 * checkpoint that `resume` continues).
 */
export async function trainLstm(data: LstmTrainingData, options: TrainLstmOptions): Promise<TrainLstmResult> {
  const s: LstmTrainSettings = { validWindows: 4096, clipNorm: 5, ...options.training };
  checkSettings(options.architecture, s);
  const V = data.vocab.tokens.length;
  if (V < 2)
    throw new DataError('The vocabulary has fewer than 2 tokens, so there is nothing to predict.', {
      field: 'vocab',
    });
  if (options.architecture.floatInput && options.architecture.embedding > 0)
    throw new UsageError('The float-input baseline takes no embedding; set embedding to 0.', {
      field: 'embedding',
    });
  const architecture: LstmArchitecture = { vocabSize: V, ...options.architecture };
  for (const p of data.pieces)
    for (let i = 0; i < p.tokens.length; i++)
      if (p.tokens[i]! >= V)
        throw new DataError(
          `Piece ${p.id} has token id ${p.tokens[i]!}, outside the vocabulary of ${V} tokens.`,
          {
            field: 'tokens',
          },
        );

  const split = (which: 'train' | 'valid'): Uint16Array[] =>
    data.pieces.filter((p) => p.split === which).map((p) => p.tokens);
  const train = buildWindows(split('train'), architecture.window, s.stride);
  const validAll = buildWindows(split('valid'), architecture.window, 1);
  if (train.offsets.length === 0)
    throw new DataError(
      `No training piece is longer than the window of ${architecture.window} tokens; use a smaller window.`,
      {
        field: 'window',
      },
    );
  if (validAll.offsets.length === 0)
    throw new DataError(
      `No validation piece is longer than the window of ${architecture.window} tokens, so training cannot be checked; preprocess with more validation pieces or use a smaller window.`,
      { field: 'window' },
    );
  const valid = spreadSubset(validAll, s.validWindows ?? 0);

  // webgpu trains on the device: asked for by name on any adapter, or by `auto` on a real GPU.
  const auto = (options.backend ?? 'auto') === 'auto' ? await autoWebGpu() : undefined;
  const adapter = options.backend === 'webgpu' ? await activateWebGpu() : auto && 'adapter' in auto ? await activateWebGpu() : undefined;
  const cpuChoice = adapter
    ? undefined
    : await selectKernels(options.backend === 'webgpu' ? 'auto' : (options.backend ?? 'auto'), options.blasLibrary ? { blasLibrary: options.blasLibrary } : {});
  if (cpuChoice && auto && 'passedOver' in auto) {
    cpuChoice.skipped.unshift({ provider: 'webgpu', reason: auto.passedOver });
    cpuChoice.reason = `${cpuChoice.reason}; webgpu was passed over: ${auto.passedOver}`;
  }
  const choice = adapter
    ? {
        provider: 'webgpu' as const,
        reason: options.backend === 'webgpu' ? `webgpu was requested (${describeAdapter(adapter)})` : `webgpu runs the whole step on the GPU, ${describeAdapter(adapter)}`,
        skipped: [],
        library: undefined,
        kernels: undefined,
      }
    : cpuChoice!;
  const ew = elementwise();
  const corpusHash = corpusHashOf(data);
  const dir = options.modelDir;
  // Checked before the folder is created, so a mistaken --resume leaves nothing behind.
  if (options.resume && !hasCheckpoint(path.join(dir, LSTM_MODEL_FILES.checkpoint)))
    throw new ModelError(`Cannot resume: ${dir} has no checkpoint to continue from; start without --resume.`, { path: dir });
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw ioError(error, dir, 'create');
  }
  // On the GPU the step is one device program; CPU threads would only wait on it.
  const threads = adapter ? 1 : (options.threads ?? 1);
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64))
    throw new UsageError('The number of training threads must be a whole number from 1 to 64.', {
      field: 'threads',
    });
  const blasThreads = threads > 1 ? 1 : (options.blasThreads ?? 1);
  if (!(Number.isInteger(blasThreads) && blasThreads >= 1 && blasThreads <= 64))
    throw new UsageError('The number of BLAS threads must be a whole number from 1 to 64.', { field: 'blasThreads' });
  choice.kernels?.setThreads(blasThreads);
  const weights = initLstmWeights(architecture, s.seed);
  const workers =
    threads > 1 && choice.provider !== 'webgpu'
      ? await GradientWorkers.start(threads - 1, architecture, [...weights.keys()], train, {
          backend: choice.provider,
          ...(choice.library ? { blasLibrary: choice.library } : {}),
        })
      : undefined;
  const trainable = adapter
    ? new DeviceLstmTrainable(architecture, weights, train, valid, s.batchSize, s.optimizer)
    : new LstmTrainable(architecture, weights, train, valid, s.batchSize, workers);
  const { epochs: _epochs, patience: _patience, ...fixed } = s;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ architecture, fixed, corpusHash, trainExamples: train.offsets.length, threads }))
    .digest('hex');
  const uniNll = unigramLikelihood(tokenCounts(targetsOf(train), V), targetsOf(valid)).nllPerEvent;
  let loop: LoopResult;
  try {
    loop = await runTrainingLoop(trainable, s, {
      checkpointDir: path.join(dir, LSTM_MODEL_FILES.checkpoint),
      logFile: path.join(dir, LSTM_MODEL_FILES.log),
      resume: options.resume,
      fingerprint,
      timeLimitSeconds: options.timeLimitSeconds,
      startInfo: {
        backend: choice.provider,
        backendReason: choice.reason,
        backendsSkipped: choice.skipped,
        ...(choice.library ? { blasLibrary: choice.library, blasThreads } : {}),
        elementwise: ew.kind,
        elementwiseReason: ew.reason,
        ...(adapter ? { adapter } : {}),
        threads,
        architecture,
        trainTargets: train.offsets.length,
        validTargets: valid.offsets.length,
        unigramNll: uniNll,
      },
      onProgress: options.onProgress,
      signal: options.signal,
    });
  } finally {
    await workers?.close();
    if (trainable instanceof DeviceLstmTrainable) trainable.dispose();
  }

  const last = loop.history[loop.history.length - 1];
  const bestRecord = loop.history.find((h) => h.epoch === loop.bestEpoch);
  const metrics: LstmMetrics = {
    validNll: loop.bestValid,
    unigramNll: uniNll,
    ...(bestRecord ? { validAccuracy: bestRecord.validAccuracy } : {}),
    ...(options.seedDesign
      ? { seedDesignNll: options.seedDesign.nll, seedDesignAccuracy: options.seedDesign.accuracy }
      : {}),
    ...(last ? { trainLoss: last.trainLoss } : {}),
    epochs: loop.history.length,
    steps: loop.steps,
    bestEpoch: loop.bestEpoch,
    validTargets: valid.offsets.length,
    trainSeconds: loop.trainSeconds,
  };
  const trainingPieces = piecesByHash(data, 'train');
  const config: LstmModelConfig = {
    format: LSTM_MODEL_FORMAT,
    version: LSTM_MODEL_VERSION,
    architecture,
    tokenizer: { kind: data.manifest?.kind ?? data.vocab.kind, ...(data.manifest?.tokenizerOptions ?? {}) },
    vocab: data.vocab,
    corpusHash,
    training: {
      ...s,
      backend: choice.provider,
      backendReason: choice.reason,
      ...(choice.library ? { blasLibrary: choice.library, blasThreads } : {}),
      elementwise: ew.kind,
      elementwiseReason: ew.reason,
      ...(adapter ? { adapter } : {}),
      threads,
      ...(options.preset ? { preset: options.preset } : {}),
      ...(options.dataPath ? { dataPath: options.dataPath } : {}),
    },
    metrics,
    ...(trainingPieces ? { trainingPieces } : {}),
    ...(options.credits ? { credits: options.credits } : {}),
    createdAt: new Date().toISOString(),
  };
  // Weights before config: a folder whose config.json exists is complete.
  await saveLstmWeights(dir, architecture, loop.best, options.weightsDtype ?? 'float32');
  await writeJsonAtomic(path.join(dir, LSTM_MODEL_FILES.config), config);
  return {
    modelDir: dir,
    config,
    stoppedBy: loop.stoppedBy,
    backend: { name: choice.provider, reason: choice.reason, ...(choice.library ? { library: choice.library } : {}), elementwise: ew.reason },
  };
}

/**
 * Trains the original tool's design (float index input, no embedding) at the same sizes and for
 * the same training time as the model in `result`, in `<modelDir>/baseline-seed-design/`, and
 * records its held-out NLL and accuracy in the model's config.json as `seedDesignNll` and
 * `seedDesignAccuracy`. Returns the updated config.
 */
export async function addSeedDesignBaseline(
  data: LstmTrainingData,
  result: TrainLstmResult,
  options: Pick<TrainLstmOptions, 'backend' | 'blasLibrary' | 'blasThreads' | 'onProgress' | 'signal' | 'threads'>,
): Promise<LstmModelConfig> {
  const main = result.config;
  const baselineDir = path.join(result.modelDir, 'baseline-seed-design');
  // The baseline is derived data: it is always trained afresh, so a rerun never trips over an old checkpoint.
  await fs.rm(baselineDir, { recursive: true, force: true }).catch((error: unknown) => {
    throw ioError(error, baselineDir, 'remove');
  });
  const { vocabSize: _v, ...sizes } = main.architecture;
  const {
    backend: _b,
    backendReason: _r,
    blasLibrary: _l,
    blasThreads: _t,
    elementwise: _e,
    elementwiseReason: _er,
    preset: _p,
    dataPath: _d,
    ...training
  } = main.training;
  const baseline = await trainLstm(data, {
    modelDir: baselineDir,
    architecture: seedDesignArchitecture(sizes),
    // Same settings, but as many epochs as the time allows and no early stop before it runs out.
    training: {
      ...training,
      epochs: Math.max(training.epochs, main.metrics.epochs),
      patience: Math.max(training.patience, main.metrics.epochs),
    },
    timeLimitSeconds: main.metrics.trainSeconds,
    ...options,
  });
  return recordSeedDesignBaseline(result.modelDir, baseline.modelDir);
}

/**
 * Copies the held-out NLL and accuracy of the seed-design model in `baselineDir` into the
 * metrics of the model in `modelDir` (config.json, rewritten atomically). Refuses a baseline
 * trained on other data or scored on another number of validation windows.
 */
export async function recordSeedDesignBaseline(
  modelDir: string,
  baselineDir: string,
): Promise<LstmModelConfig> {
  const main = await readLstmConfig(modelDir);
  const base = await readLstmConfig(baselineDir);
  if (!base.architecture.floatInput)
    throw new DataError(`${baselineDir} is not a seed-design (float input) model.`, { path: baselineDir });
  if (base.corpusHash !== main.corpusHash || base.metrics.validTargets !== main.metrics.validTargets)
    throw new DataError(
      `${baselineDir} was trained or scored on other data than ${modelDir}, so the two cannot be compared.`,
      {
        path: baselineDir,
      },
    );
  const config: LstmModelConfig = {
    ...main,
    metrics: {
      ...main.metrics,
      seedDesignNll: base.metrics.validNll,
      seedDesignAccuracy: base.metrics.validAccuracy ?? 0,
    },
  };
  await writeJsonAtomic(path.join(modelDir, LSTM_MODEL_FILES.config), config);
  return config;
}

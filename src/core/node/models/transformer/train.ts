/**
 * Trains the Music Transformer on performance tokens: windows of held-in pieces, validation on
 * held-out pieces every epoch. The loop itself (optimizer, schedule with warm-up, clipping, early
 * stopping, checkpoints, exact resume, time limit, log, progress) is the LSTM's
 * (`src/core/node/train/loop.ts`); this file supplies the model's gradients (TF.js autodiff) and
 * its validation, and keeps the model folder usable after every epoch.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataError, ModelError } from '../../../common/errors';
import type { RunOptions } from '../../../common/progress';
import type { Vocabulary } from '../../../common/tokenize/types';
import type {
  TransformerArchitecture,
  TransformerTrainSettings,
} from '../../../common/models/transformer';
import { TRANSFORMER_PRESETS, transformerWeightShapes } from '../../../common/models/transformer';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import { hasCheckpoint } from '../../train/checkpoint';
import type { Trainable } from '../../train/loop';
import { runTrainingLoop } from '../../train/loop';
import type { KernelRequest } from '../../tensor/kernels';
import { selectTensorBackend } from '../../tensor/backend';
import { buildTransformerOnnx } from '../../onnx/exportTransformer';
import { saveWeights } from '../weights';
import { MusicTransformer } from './model';

/** The data training needs: a vocabulary and pieces split by `cadenza preprocess`. */
export interface TransformerTrainingData {
  vocab: Vocabulary;
  pieces: { id: string; split: 'train' | 'valid'; tokens: Uint16Array }[];
  manifest?: { corpusHash?: string; tokenizerOptions?: Record<string, unknown> };
}

/** How to train. */
export interface TrainTransformerOptions extends RunOptions {
  /** The model folder to write (created if missing). */
  modelPath: string;
  /** A preset to start from; `architecture` and `training` override its fields. */
  preset?: keyof typeof TRANSFORMER_PRESETS;
  /** Architecture fields to override. */
  architecture?: Partial<Omit<TransformerArchitecture, 'vocabSize'>>;
  /** Training settings to override. */
  training?: Partial<TransformerTrainSettings>;
  /**
   * Provider to use; `auto` picks the fastest TF.js backend present. The transformer trains through
   * TF.js ops, so `blas` (the BiLSTM's native kernels) runs on the fastest TF.js backend, saying so.
   */
  backend?: KernelRequest;
  /** Continue from the folder's checkpoint instead of starting over. */
  resume?: boolean;
  /** Cap on validation windows (each one `seqLength` events), to keep validation short. */
  maxValidWindows?: number;
  /** Stop after this many seconds of training (the epoch in progress is cut short, then validated). */
  timeLimitSeconds?: number;
}

/** What a finished (or stopped) run reports. */
export interface TransformerTrainResult {
  modelPath: string;
  /** Epochs completed. */
  epochs: number;
  /** Optimizer steps taken. */
  steps: number;
  /** Best held-out negative log-likelihood per event, in nats. */
  validNll: number;
  /** The unigram baseline on the same held-out events, in nats. */
  unigramNll: number;
  /** True when early stopping ended the run. */
  stoppedEarly: boolean;
  /** The TF.js backend that ran, and why. */
  backend: string;
  backendReason: string;
  /** Wall time of this run (not counting earlier runs resumed from), in seconds. */
  seconds: number;
}

/** The model folder's config.json for a transformer. */
export interface TransformerConfig {
  format: 'cadenza-transformer';
  version: 1;
  architecture: TransformerArchitecture;
  tokenizer: { kind: 'performance'; options?: Record<string, unknown> };
  vocab: Vocabulary;
  corpusHash?: string;
  training: TransformerTrainSettings & { backend?: string };
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
}

const CHECKPOINT = 'checkpoint';

/** One training window: `seqLength + 1` tokens of a piece starting at `start`. */
interface Window {
  piece: number;
  start: number;
}

function windowsOf(pieces: TransformerTrainingData['pieces'], split: 'train' | 'valid', length: number, stride: number): Window[] {
  const out: Window[] = [];
  pieces.forEach((p, i) => {
    if (p.split !== split) return;
    for (let s = 0; s + length + 1 <= p.tokens.length; s += stride) out.push({ piece: i, start: s });
  });
  return out;
}

function batchTensors(
  pieces: TransformerTrainingData['pieces'],
  windows: Window[],
  length: number,
): [tf.Tensor2D, tf.Tensor2D] {
  const xs = new Int32Array(windows.length * length);
  const ys = new Int32Array(windows.length * length);
  windows.forEach((w, b) => {
    const t = pieces[w.piece]!.tokens;
    for (let i = 0; i < length; i++) {
      xs[b * length + i] = t[w.start + i]!;
      ys[b * length + i] = t[w.start + i + 1]!;
    }
  });
  return [tf.tensor2d(xs, [windows.length, length], 'int32'), tf.tensor2d(ys, [windows.length, length], 'int32')];
}

/** Mean NLL per event over `windows` (nats) and the share of events that are the argmax. */
function evaluate(
  model: MusicTransformer,
  pieces: TransformerTrainingData['pieces'],
  windows: Window[],
  batch: number,
  signal?: AbortSignal,
): { nll: number; accuracy: number; targets: number } {
  let total = 0;
  let hits = 0;
  let targets = 0;
  for (let i = 0; i < windows.length && !signal?.aborted; i += batch) {
    const chunk = windows.slice(i, i + batch);
    const [x, y] = batchTensors(pieces, chunk, model.architecture.seqLength);
    const [loss, correct] = tf.tidy(() => {
      const hit = tf.equal(tf.argMax(model.logits(x), -1), y);
      return [model.loss(x, y).dataSync()[0]!, tf.sum(tf.cast(hit, 'float32')).dataSync()[0]!];
    });
    x.dispose();
    y.dispose();
    const n = chunk.length * model.architecture.seqLength;
    total += loss * n;
    hits += correct;
    targets += n;
  }
  return { nll: targets ? total / targets : NaN, accuracy: targets ? hits / targets : 0, targets };
}

/** The unigram baseline: NLL of held-out targets under add-one-smoothed training frequencies, in nats. */
export function unigramNll(vocabSize: number, train: Iterable<number>, valid: Iterable<number>): number {
  const counts = new Float64Array(vocabSize).fill(1);
  let total = vocabSize;
  for (const t of train) {
    counts[t]!++;
    total++;
  }
  let nll = 0;
  let n = 0;
  for (const t of valid) {
    nll -= Math.log(counts[t]! / total);
    n++;
  }
  return n ? nll / n : NaN;
}

/**
 * The model as the training loop sees it: its weights as Float32Arrays (the loop's optimizer
 * updates them in place; they are copied into the TF.js variables before each forward pass), and
 * gradients from TF.js autodiff.
 */
class TransformerTrainable implements Trainable {
  readonly params: Map<string, Float32Array>;
  readonly trainExamples: number;

  constructor(
    private readonly model: MusicTransformer,
    initial: Float32Array,
    private readonly pieces: TransformerTrainingData['pieces'],
    private readonly trainWindows: Window[],
    private readonly validWindows: Window[],
    private readonly batchSize: number,
  ) {
    this.params = new Map();
    let offset = 0;
    for (const [name, v] of model.weights) {
      this.params.set(name, initial.slice(offset, offset + v.size));
      offset += v.size;
    }
    this.trainExamples = trainWindows.length;
  }

  /** Copies the parameters into the model's variables. */
  private sync(): void {
    for (const [name, v] of this.model.weights) tf.tidy(() => v.assign(tf.tensor(this.params.get(name)!, v.shape)));
  }

  gradients(order: Int32Array, start: number, count: number, grads: Map<string, Float32Array>, dropoutSeed: number): number {
    this.sync();
    this.model.reseedDropout(dropoutSeed);
    const batch = Array.from(order.subarray(start, start + count), (i) => this.trainWindows[i]!);
    const [x, y] = batchTensors(this.pieces, batch, this.model.architecture.seqLength);
    const { value, grads: g } = tf.variableGrads(() => this.model.loss(x, y, true), this.model.variables());
    const loss = value.dataSync()[0]!;
    for (const [name, v] of this.model.weights) {
      const gradient = g[v.name];
      if (gradient) {
        const into = grads.get(name)!;
        const data = gradient.dataSync();
        for (let i = 0; i < into.length; i++) into[i]! += data[i]!;
      }
    }
    tf.dispose([value, x, y, ...Object.values(g)]);
    return loss;
  }

  validate(signal?: AbortSignal): { nll: number; accuracy: number; targets: number } {
    this.sync();
    return evaluate(this.model, this.pieces, this.validWindows, this.batchSize, signal);
  }
}

/** Flattens named weights in layout order (as `weights.bin` stores them). */
function flatten(group: Map<string, Float32Array>): Float32Array {
  const out = new Float32Array([...group.values()].reduce((n, v) => n + v.length, 0));
  let offset = 0;
  for (const v of group.values()) {
    out.set(v, offset);
    offset += v.length;
  }
  return out;
}

/** Trains a Music Transformer on `data` and writes the model folder. */
export async function trainTransformer(data: TransformerTrainingData, options: TrainTransformerOptions): Promise<TransformerTrainResult> {
  const started = Date.now();
  const preset = TRANSFORMER_PRESETS[options.preset ?? 'default'];
  const dir = options.modelPath;
  const checkpointDir = path.join(dir, CHECKPOINT);
  let architecture: TransformerArchitecture = { ...preset.architecture, ...options.architecture, vocabSize: data.vocab.tokens.length };
  let settings: TransformerTrainSettings = { ...preset.training, ...options.training };
  const tfChoice = await selectTensorBackend(options.backend === 'blas' ? 'auto' : (options.backend ?? 'auto'));
  const choice =
    options.backend === 'blas'
      ? {
          ...tfChoice,
          reason: `blas was requested, but the transformer trains through TF.js ops (its forward and backward pass on the native kernels is not built yet), so it runs on ${tfChoice.kind}: ${tfChoice.reason}`,
        }
      : tfChoice;

  let resumedConfig: TransformerConfig | undefined;
  if (options.resume) {
    try {
      resumedConfig = await readJson<TransformerConfig>(path.join(dir, 'config.json'));
    } catch (error) {
      throw new ModelError(`Cannot resume: ${dir} has no checkpoint to continue from; start without --resume.`, { path: dir, cause: error });
    }
    if (!hasCheckpoint(checkpointDir)) throw new ModelError(`Cannot resume: ${dir} has no checkpoint to continue from; start without --resume.`, { path: dir });
    if (resumedConfig.vocab.tokens.join('\u0000') !== data.vocab.tokens.join('\u0000'))
      throw new ModelError(`Cannot resume ${dir}: the data's vocabulary differs from the one it was trained on.`, { path: dir });
    architecture = resumedConfig.architecture;
    const { backend: _backend, ...saved } = resumedConfig.training;
    settings = saved;
  }

  const L = architecture.seqLength;
  const trainWindows = windowsOf(data.pieces, 'train', L, Math.max(1, Math.floor(L / 2)));
  let validWindows = windowsOf(data.pieces, 'valid', L, L);
  if (trainWindows.length === 0)
    throw new DataError(`No training piece is longer than the model's context of ${L} events; use shorter sequences.`, { field: 'seqLength' });
  if (validWindows.length === 0)
    throw new DataError(`No held-out piece is longer than ${L} events, so the model cannot be validated.`, { field: 'valid' });
  const maxValid = options.maxValidWindows ?? 64;
  if (validWindows.length > maxValid) {
    const stride = validWindows.length / maxValid;
    validWindows = Array.from({ length: maxValid }, (_, i) => validWindows[Math.floor(i * stride)]!);
  }
  const trainTokens = function* (): Generator<number> {
    for (const p of data.pieces) if (p.split === 'train') yield* p.tokens;
  };
  const validTargets = function* (): Generator<number> {
    for (const w of validWindows) {
      const t = data.pieces[w.piece]!.tokens;
      for (let i = 1; i <= L; i++) yield t[w.start + i]!;
    }
  };
  const unigram = unigramNll(architecture.vocabSize, trainTokens(), validTargets());

  const layout = transformerWeightShapes(architecture);
  const model = MusicTransformer.create(architecture, settings.seed);
  const trainable = new TransformerTrainable(model, await model.toFlat(), data.pieces, trainWindows, validWindows, settings.batchSize);
  // What a checkpoint belongs to: architecture, settings, vocabulary and the pieces.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ architecture, settings, tokens: data.vocab.tokens, pieces: data.pieces.map((p) => [p.id, p.split, p.tokens.length]) }))
    .digest('hex');

  await fs.mkdir(dir, { recursive: true });
  const logFile = path.join(dir, 'training-log.jsonl');
  if (!options.resume) await writeFileAtomic(logFile, '');
  let metrics: TransformerConfig['metrics'] = resumedConfig?.metrics ?? { epochs: 0, steps: 0, trainSeconds: 0, unigramNll: unigram };
  const writeConfig = async (): Promise<void> => {
    const config: TransformerConfig = {
      format: 'cadenza-transformer',
      version: 1,
      architecture,
      tokenizer: { kind: 'performance', options: data.manifest?.tokenizerOptions },
      vocab: data.vocab,
      corpusHash: data.manifest?.corpusHash,
      training: { ...settings, backend: choice.backend },
      metrics,
      credits: resumedConfig?.credits,
    };
    await writeJsonAtomic(path.join(dir, 'config.json'), config);
  };
  // The folder has a config from the start, so a stopped run can be resumed.
  await writeConfig();

  let bestSaved = resumedConfig?.metrics.validNll ?? Infinity;
  let result: Awaited<ReturnType<typeof runTrainingLoop>>;
  try {
    result = await runTrainingLoop(
      trainable,
      {
        batchSize: settings.batchSize,
        epochs: settings.epochs,
        optimizer: 'adam',
        learningRate: settings.learningRate,
        schedule: 'cosine',
        warmupSteps: settings.warmupSteps,
        patience: settings.patience,
        seed: settings.seed,
        maxStepsPerEpoch: settings.maxStepsPerEpoch,
      },
      {
        checkpointDir,
        logFile,
        resume: options.resume,
        fingerprint,
        timeLimitSeconds: options.timeLimitSeconds,
        targetsPerExample: L,
        startInfo: { backend: choice.backend, backendReason: choice.reason, architecture, trainWindows: trainWindows.length, validWindows: validWindows.length, unigramNll: unigram },
        signal: options.signal,
        onProgress: options.onProgress,
        // Keeps the folder a usable model after every epoch: its best weights and their figures.
        onEpoch: async (record, best) => {
          const bestNll = Math.min(bestSaved, record.validNll);
          if (record.validNll <= bestSaved) {
            bestSaved = record.validNll;
            await saveWeights(dir, layout, flatten(best));
          }
          metrics = {
            validNll: bestNll,
            validPerplexity: Math.exp(bestNll),
            unigramNll: unigram,
            epochs: record.epoch,
            // The last finished epoch's figures plus this epoch's (whose counts include steps before a resume).
            steps: metrics.steps + record.steps,
            bestEpoch: record.validNll <= bestNll ? record.epoch : metrics.bestEpoch,
            trainSeconds: metrics.trainSeconds + record.trainSeconds,
          };
          await writeConfig();
        },
      },
    );
  } finally {
    model.dispose();
  }
  metrics = {
    validNll: result.bestValid,
    validPerplexity: Math.exp(result.bestValid),
    unigramNll: unigram,
    epochs: result.history.length ? result.history[result.history.length - 1]!.epoch : metrics.epochs,
    steps: result.steps,
    bestEpoch: result.bestEpoch,
    trainSeconds: result.trainSeconds,
  };
  const best = flatten(result.best);
  await saveWeights(dir, layout, best);
  await writeConfig();
  // The best weights (not the last) are the model; export them for onnxruntime too.
  await writeFileAtomic(path.join(dir, 'model.onnx'), buildTransformerOnnx(architecture, best));
  return {
    modelPath: dir,
    epochs: metrics.epochs,
    steps: result.steps,
    validNll: result.bestValid,
    unigramNll: unigram,
    stoppedEarly: result.stoppedBy === 'early-stopping',
    backend: choice.backend,
    backendReason: choice.reason,
    seconds: (Date.now() - started) / 1000,
  };
}

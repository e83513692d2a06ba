/**
 * Trains the Music Transformer on performance tokens: random crops of held-in pieces, validation
 * on held-out pieces every epoch, early stopping, an atomic checkpoint after every epoch (and on
 * cancel), `resume` that continues exactly where a run stopped (data order and dropout are
 * functions of seed, epoch and step), progress events and a JSON-lines log in the model folder.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CancelledError, DataError, ModelError } from '../../../common/errors';
import type { RunOptions } from '../../../common/progress';
import { Rng } from '../../../common/random';
import type { Vocabulary } from '../../../common/tokenize/types';
import type {
  TransformerArchitecture,
  TransformerTrainSettings,
} from '../../../common/models/transformer';
import { TRANSFORMER_PRESETS, transformerWeightShapes } from '../../../common/models/transformer';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../../fs/atomic';
import type { BackendRequest } from '../../tensor/backend';
import { selectTensorBackend } from '../../tensor/backend';
import { buildTransformerOnnx } from '../../onnx/exportTransformer';
import { readWeights, saveWeights } from '../weights';
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
  /** Tensor backend to use; `auto` picks the fastest available. */
  backend?: BackendRequest;
  /** Continue from the folder's checkpoint instead of starting over. */
  resume?: boolean;
  /** Cap on validation windows (each one `seqLength` events), to keep validation short. */
  maxValidWindows?: number;
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

/** Where training stood, saved with each checkpoint. */
interface CheckpointState {
  /** The epoch to continue with (0-based). */
  epoch: number;
  /** The step within that epoch to continue with. */
  step: number;
  globalStep: number;
  bestValidNll: number;
  bestEpoch: number;
  epochsWithoutImprovement: number;
  trainSeconds: number;
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

/** Mean NLL per event over `windows`, in nats. */
function evaluate(model: MusicTransformer, pieces: TransformerTrainingData['pieces'], windows: Window[], batch: number): number {
  let total = 0;
  let count = 0;
  for (let i = 0; i < windows.length; i += batch) {
    const chunk = windows.slice(i, i + batch);
    const [x, y] = batchTensors(pieces, chunk, model.architecture.seqLength);
    const loss = tf.tidy(() => model.loss(x, y).dataSync()[0]!);
    x.dispose();
    y.dispose();
    total += loss * chunk.length;
    count += chunk.length;
  }
  return count ? total / count : NaN;
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

function learningRateAt(step: number, totalSteps: number, s: TransformerTrainSettings): number {
  if (step < s.warmupSteps) return (s.learningRate * (step + 1)) / s.warmupSteps;
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, totalSteps - s.warmupSteps));
  return s.learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

async function saveOptimizer(dir: string, optimizer: tf.Optimizer): Promise<void> {
  const named = await optimizer.getWeights();
  const parts: Float32Array[] = [];
  const entries = named.map((n) => {
    const data = n.tensor.dataSync() as Float32Array;
    parts.push(Float32Array.from(data));
    return { name: n.name, shape: n.tensor.shape };
  });
  const flat = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    flat.set(p, o);
    o += p.length;
  }
  await writeFileAtomic(path.join(dir, 'optimizer.bin'), new Uint8Array(flat.buffer));
  await writeJsonAtomic(path.join(dir, 'optimizer.json'), entries);
  // getWeights returns the optimizer's own moment variables; only the iteration count is a fresh tensor.
  for (const n of named) if (n.name === 'iter') n.tensor.dispose();
}

async function loadOptimizer(dir: string, optimizer: tf.Optimizer): Promise<void> {
  const entries = await readJson<{ name: string; shape: number[] }[]>(path.join(dir, 'optimizer.json'));
  const bytes = await fs.readFile(path.join(dir, 'optimizer.bin'));
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let o = 0;
  const named = entries.map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(flat.subarray(o, o + n), e.shape);
    o += n;
    return { name: e.name, tensor };
  });
  await optimizer.setWeights(named);
  for (const n of named) n.tensor.dispose();
}

/** Trains a Music Transformer on `data` and writes the model folder. */
export async function trainTransformer(data: TransformerTrainingData, options: TrainTransformerOptions): Promise<TransformerTrainResult> {
  const started = Date.now();
  const preset = TRANSFORMER_PRESETS[options.preset ?? 'default'];
  const dir = options.modelPath;
  const checkpointDir = path.join(dir, CHECKPOINT);
  let architecture: TransformerArchitecture = { ...preset.architecture, ...options.architecture, vocabSize: data.vocab.tokens.length };
  let settings: TransformerTrainSettings = { ...preset.training, ...options.training };
  let state: CheckpointState = {
    epoch: 0,
    step: 0,
    globalStep: 0,
    bestValidNll: Infinity,
    bestEpoch: -1,
    epochsWithoutImprovement: 0,
    trainSeconds: 0,
  };
  const choice = await selectTensorBackend(options.backend ?? 'auto');

  let resumedConfig: TransformerConfig | undefined;
  if (options.resume) {
    try {
      resumedConfig = await readJson<TransformerConfig>(path.join(dir, 'config.json'));
      state = await readJson<CheckpointState>(path.join(checkpointDir, 'state.json'));
    } catch (error) {
      throw new ModelError(`Cannot resume: ${dir} has no checkpoint to continue from; start without --resume.`, {
        path: dir,
        cause: error,
      });
    }
    if (resumedConfig.vocab.tokens.join('\u0000') !== data.vocab.tokens.join('\u0000'))
      throw new ModelError(`Cannot resume ${dir}: the data's vocabulary differs from the one it was trained on.`, {
        path: dir,
      });
    architecture = resumedConfig.architecture;
    settings = { ...resumedConfig.training };
  }

  const L = architecture.seqLength;
  const trainWindows = windowsOf(data.pieces, 'train', L, Math.max(1, Math.floor(L / 2)));
  let validWindows = windowsOf(data.pieces, 'valid', L, L);
  if (trainWindows.length === 0)
    throw new DataError(`No training piece is longer than the model's context of ${L} events; use shorter sequences.`, {
      field: 'seqLength',
    });
  if (validWindows.length === 0)
    throw new DataError(`No held-out piece is longer than ${L} events, so the model cannot be validated.`, {
      field: 'valid',
    });
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

  const stepsPerEpoch = Math.max(
    1,
    Math.min(Math.floor(trainWindows.length / settings.batchSize) || 1, settings.maxStepsPerEpoch || Infinity),
  );
  const totalSteps = stepsPerEpoch * settings.epochs;
  const layout = transformerWeightShapes(architecture);
  const model = options.resume
    ? MusicTransformer.fromFlat(architecture, await readWeights(checkpointDir, layout), settings.seed)
    : MusicTransformer.create(architecture, settings.seed);
  const optimizer = tf.train.adam(settings.learningRate);
  const setLearningRate = (lr: number): void => {
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
  };
  if (options.resume && state.globalStep > 0) await loadOptimizer(checkpointDir, optimizer);

  await fs.mkdir(dir, { recursive: true });
  const logFile = path.join(dir, 'training-log.jsonl');
  const log = async (entry: Record<string, unknown>): Promise<void> => {
    await fs.appendFile(logFile, JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');
  };
  if (!options.resume) await writeFileAtomic(logFile, '');
  await log({
    event: options.resume ? 'resume' : 'start',
    backend: choice.backend,
    backendReason: choice.reason,
    architecture,
    settings,
    trainWindows: trainWindows.length,
    validWindows: validWindows.length,
    epoch: state.epoch,
    step: state.step,
  });

  const writeConfig = async (): Promise<void> => {
    const config: TransformerConfig = {
      format: 'cadenza-transformer',
      version: 1,
      architecture,
      tokenizer: { kind: 'performance', options: data.manifest?.tokenizerOptions },
      vocab: data.vocab,
      corpusHash: data.manifest?.corpusHash,
      training: { ...settings, backend: choice.backend },
      metrics: {
        validNll: Number.isFinite(state.bestValidNll) ? state.bestValidNll : undefined,
        validPerplexity: Number.isFinite(state.bestValidNll) ? Math.exp(state.bestValidNll) : undefined,
        unigramNll: unigram,
        epochs: state.epoch,
        steps: state.globalStep,
        bestEpoch: state.bestEpoch >= 0 ? state.bestEpoch + 1 : undefined,
        trainSeconds: state.trainSeconds,
      },
      credits: resumedConfig?.credits,
    };
    await writeJsonAtomic(path.join(dir, 'config.json'), config);
  };
  const checkpoint = async (): Promise<void> => {
    await saveWeights(checkpointDir, layout, await model.toFlat());
    await saveOptimizer(checkpointDir, optimizer);
    await writeJsonAtomic(path.join(checkpointDir, 'state.json'), state);
  };

  let stoppedEarly = false;
  let runStart = Date.now();
  const stepTime = (): number => (Date.now() - runStart) / 1000;
  try {
    while (state.epoch < settings.epochs) {
      // The epoch's order is a function of the seed and the epoch alone, so a resumed run sees the same data.
      const order = new Rng(settings.seed * 7919 + state.epoch).shuffle([...trainWindows]);
      let lossSum = 0;
      let lossCount = 0;
      const epochStart = Date.now();
      for (; state.step < stepsPerEpoch; state.step++) {
        if (options.signal?.aborted) {
          state.trainSeconds += stepTime();
          runStart = Date.now();
          await checkpoint();
          await writeConfig();
          await log({ event: 'cancelled', epoch: state.epoch, step: state.step });
          throw new CancelledError(`Training stopped at epoch ${state.epoch + 1}, step ${state.step}; resume with --resume.`);
        }
        const batch = order.slice(state.step * settings.batchSize, (state.step + 1) * settings.batchSize);
        const [x, y] = batchTensors(data.pieces, batch.length ? batch : order.slice(0, settings.batchSize), L);
        const lr = learningRateAt(state.globalStep, totalSteps, settings);
        setLearningRate(lr);
        model.reseedDropout(settings.seed * 1_000_003 + state.globalStep);
        const loss = optimizer.minimize(() => model.loss(x, y, true), true, model.variables())!;
        const value = loss.dataSync()[0]!;
        loss.dispose();
        x.dispose();
        y.dispose();
        if (!Number.isFinite(value))
          throw new ModelError(`Training diverged at epoch ${state.epoch + 1} (loss ${value}); lower the learning rate.`, {
            field: 'learningRate',
          });
        lossSum += value;
        lossCount++;
        state.globalStep++;
        const seconds = (Date.now() - epochStart) / 1000;
        options.onProgress?.({
          stage: `epoch ${state.epoch + 1}/${settings.epochs}`,
          done: state.step + 1,
          total: stepsPerEpoch,
          metrics: {
            loss: lossSum / lossCount,
            targetsPerSecond: (lossCount * settings.batchSize * L) / Math.max(seconds, 1e-3),
            learningRate: lr,
          },
        });
      }
      const validNll = evaluate(model, data.pieces, validWindows, settings.batchSize);
      const improved = validNll < state.bestValidNll - 1e-4;
      if (improved) {
        state.bestValidNll = validNll;
        state.bestEpoch = state.epoch;
        state.epochsWithoutImprovement = 0;
        await saveWeights(dir, layout, await model.toFlat());
      } else state.epochsWithoutImprovement++;
      const epochSeconds = (Date.now() - epochStart) / 1000;
      state.trainSeconds += stepTime();
      runStart = Date.now();
      const finished = { ...state, epoch: state.epoch + 1, step: 0 };
      await log({
        event: 'epoch',
        epoch: state.epoch + 1,
        trainLoss: lossSum / Math.max(1, lossCount),
        validNll,
        unigramNll: unigram,
        bestValidNll: state.bestValidNll,
        seconds: epochSeconds,
        targetsPerSecond: (lossCount * settings.batchSize * L) / Math.max(epochSeconds, 1e-3),
        tensors: tf.memory().numTensors,
      });
      options.onProgress?.({
        stage: `validate ${state.epoch + 1}/${settings.epochs}`,
        done: state.epoch + 1,
        total: settings.epochs,
        metrics: { validNll, unigramNll: unigram, bestValidNll: state.bestValidNll },
      });
      state = finished;
      await checkpoint();
      await writeConfig();
      if (state.epochsWithoutImprovement >= settings.patience) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  await writeConfig();
  // The best weights (not the last) are the model; export them for onnxruntime too.
  if (Number.isFinite(state.bestValidNll)) {
    const best = await readWeights(dir, layout);
    await writeFileAtomic(path.join(dir, 'model.onnx'), buildTransformerOnnx(architecture, best));
  }
  await log({ event: 'end', stoppedEarly, bestValidNll: state.bestValidNll, unigramNll: unigram, epochs: state.epoch });
  return {
    modelPath: dir,
    epochs: state.epoch,
    steps: state.globalStep,
    validNll: state.bestValidNll,
    unigramNll: unigram,
    stoppedEarly,
    backend: choice.backend,
    backendReason: choice.reason,
    seconds: (Date.now() - started) / 1000,
  };
}

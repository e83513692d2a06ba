/**
 * Trains the Music Transformer on performance tokens: windows of held-in pieces, validation on
 * held-out pieces every epoch. The loop itself (optimizer, schedule with warm-up, clipping, early
 * stopping, checkpoints, exact resume, time limit, log, progress) is the LSTM's
 * (`loop.ts`); this file supplies the model's gradients (the hand-written
 * engine of `models/transformer/engine.ts` on the kernel layer: the system BLAS or a TF.js backend), transposition
 * augmentation and validation, and keeps the model folder usable after every epoch.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError, ModelError, UsageError } from '../../common/errors';
import { tokenCounts, unigramLikelihood } from '../../common/evaluate/likelihood';
import type { RunOptions } from '../../common/progress';
import type { Vocabulary } from '../../common/tokenize/types';
import type {
  TransformerArchitecture,
  TransformerTrainSettings,
} from '../../common/models/transformer';
import { TRANSFORMER_PRESETS, transformerWeightShapes } from '../../common/models/transformer';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../fs/atomic';
import { hasCheckpoint } from './checkpoint';
import type { Trainable } from './loop';
import { runTrainingLoop } from './loop';
import { Rng } from '../../common/random';
import type { KernelChoice, KernelRequest, Kernels } from '../tensor/kernels';
import { elementwise } from '../tensor/elementwise';
import { KERNEL_REQUESTS, selectKernels } from '../tensor/kernels';
import type { GpuAdapterInfo } from '../tensor/webgpu';
import { activateWebGpu, describeAdapter, probeWebGpu } from '../tensor/webgpu';
import { saveWeights } from '../models/weights';
import { GradientWorkers, parallelGradients } from './parallel';
import { workerModule } from '../workers/start';
import { piecesByHash } from '../models/pieces';
import { DeviceTransformerTrainable } from './deviceTransformer';
import type { TransformerConfig } from '../models/transformer/config';
import { initialTransformerWeights } from '../models/transformer/initialWeights';
import { TransformerEngine } from '../models/transformer/engine';
import type { TrainingWindows } from './windows';
import { batchIds, performanceTranspositions, windowsOf } from './windows';

/** The data training needs: a vocabulary and pieces split by `cadenza preprocess`. */
export interface TransformerTrainingData {
  vocab: Vocabulary;
  pieces: { id: string; split: 'train' | 'valid'; tokens: Uint16Array }[];
  manifest?: { corpusHash?: string; tokenizerOptions?: Record<string, unknown> };
  /** The data's index with each file's sha-256, so config.json can list the training pieces. */
  index?: readonly { id: string; sha256?: string }[];
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
   * Where training runs: `webgpu` (the whole step on the GPU), or a kernel provider for the CPU
   * engine's matrix products; `auto` takes a real GPU where one is found, else the system BLAS
   * where it loads, else the fastest TF.js backend.
   */
  backend?: TransformerBackendRequest;
  /** A BLAS library file to try before the system's. */
  blasLibrary?: string;
  /** BLAS threads (default 1; with `threads` > 1 each thread uses one). */
  blasThreads?: number;
  /** Threads computing each batch's gradients (data parallelism; default 1). Results depend on it. */
  threads?: number;
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
  /** The kernel provider that ran, and why. */
  backend: string;
  backendReason: string;
  /** Wall time of this run (not counting earlier runs resumed from), in seconds. */
  seconds: number;
}

const CHECKPOINT = 'checkpoint';

/** Where the transformer may train: the GPU through WebGPU, or a kernel provider of the CPU engine. */
export type TransformerBackendRequest = KernelRequest | 'webgpu';

/** The names `train-transformer --backend` accepts, `auto` first. */
export const TRANSFORMER_BACKEND_REQUESTS: readonly TransformerBackendRequest[] = ['auto', 'webgpu', ...KERNEL_REQUESTS.filter((r) => r !== 'auto')];

/** What ran: the kernel provider of the CPU engine, or the GPU with its adapter. */
type TrainingBackend = { device: false; choice: KernelChoice } | { device: true; adapter: GpuAdapterInfo; reason: string; skipped: { provider: string; reason: string }[] };

/**
 * Picks where training runs. `webgpu` (asked for by name) runs on any adapter, a software one too;
 * `auto` takes it only for a real GPU, since a software adapter (lavapipe/llvmpipe, SwiftShader)
 * emulates the GPU on the CPU and trains far slower than the CPU engine does.
 */
async function selectTrainingBackend(request: TransformerBackendRequest, blasLibrary: string | undefined): Promise<TrainingBackend> {
  if (!TRANSFORMER_BACKEND_REQUESTS.includes(request))
    throw new UsageError(`--backend must be one of ${TRANSFORMER_BACKEND_REQUESTS.join(', ')}, not "${String(request)}".`, { field: 'backend' });
  if (request === 'webgpu') {
    const adapter = await activateWebGpu();
    return { device: true, adapter, reason: `webgpu was requested (${describeAdapter(adapter)})`, skipped: [] };
  }
  const skipped: { provider: string; reason: string }[] = [];
  if (request === 'auto') {
    const probe = process.env.CADENZA_WEBGPU === 'off' ? { ok: false as const, reason: 'CADENZA_WEBGPU=off turns it off' } : await probeWebGpu();
    if (probe.ok && !probe.adapter.software) {
      const adapter = await activateWebGpu();
      return { device: true, adapter, reason: `webgpu runs the whole step on the GPU, ${describeAdapter(adapter)}`, skipped };
    }
    skipped.push({
      provider: 'webgpu',
      reason: probe.ok
        ? `the only adapter, ${describeAdapter(probe.adapter)}, is a software rasteriser that emulates a GPU on the CPU and trains slower than the CPU engine`
        : probe.reason,
    });
  }
  const choice = await selectKernels(request, blasLibrary ? { blasLibrary } : {});
  if (skipped.length) {
    choice.skipped.unshift(...skipped);
    choice.reason = `${choice.reason}; webgpu was passed over: ${skipped[0]!.reason}`;
  }
  return { device: false, choice };
}

/** Mean NLL per event over `windows` (nats) and the share of events that are the argmax. */
function evaluate(
  engine: TransformerEngine,
  windows: TrainingWindows,
  batch: number,
  signal?: AbortSignal,
): { nll: number; accuracy: number; targets: number } {
  const L = engine.architecture.seqLength;
  let total = 0;
  let hits = 0;
  let targets = 0;
  const n0 = windows.starts.length;
  const order = Int32Array.from({ length: n0 }, (_, i) => i);
  for (let i = 0; i < n0 && !signal?.aborted; i += batch) {
    const count = Math.min(batch, n0 - i);
    const [x, y] = batchIds(windows, order, i, count, L);
    const f = engine.forward(x, y, count, L);
    const n = count * L;
    total += f.loss * n;
    hits += f.correct;
    targets += n;
  }
  return { nll: targets ? total / targets : NaN, accuracy: targets ? hits / targets : 0, targets };
}

/**
 * The model as the training loop sees it: its weights as Float32Arrays (the loop's optimizer
 * updates them in place and the engine reads them in place), gradients from the hand-written
 * engine. Each step's seed draws its windows' transpositions, then its dropout masks, so a resumed
 * run repeats them exactly.
 */
class TransformerTrainable implements Trainable {
  readonly trainExamples: number;
  private readonly engine: TransformerEngine;

  constructor(
    architecture: TransformerArchitecture,
    readonly params: Map<string, Float32Array>,
    kernels: Kernels,
    private readonly train: TrainingWindows,
    private readonly valid: TrainingWindows,
    private readonly batchSize: number,
    private readonly workers?: GradientWorkers,
  ) {
    this.engine = new TransformerEngine(architecture, params, kernels);
    this.trainExamples = train.starts.length;
  }

  /** With workers, the batch is shared among the threads (`parallelGradients`). */
  async gradients(order: Int32Array, start: number, count: number, grads: Map<string, Float32Array>, dropoutSeed: number): Promise<number> {
    if (!this.workers) return this.share(order, start, count, grads, dropoutSeed);
    return parallelGradients(this.workers, this.params, order, start, count, grads, dropoutSeed, (from, n, seed) =>
      this.share(order, from, n, grads, seed),
    );
  }

  private share(order: Int32Array, start: number, count: number, grads: Map<string, Float32Array>, seed: number): number {
    const rng = new Rng(seed);
    const L = this.engine.architecture.seqLength;
    const [x, y] = batchIds(this.train, order, start, count, L, rng);
    const f = this.engine.forward(x, y, count, L, rng);
    this.engine.backward(f, grads);
    return f.loss;
  }

  validate(signal?: AbortSignal): { nll: number; accuracy: number; targets: number } {
    return evaluate(this.engine, this.valid, this.batchSize, signal);
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
  const selected = await selectTrainingBackend(options.backend ?? 'auto', options.blasLibrary);
  const choice = selected.device ? undefined : selected.choice;
  const provider = selected.device ? 'webgpu' : selected.choice.provider;
  // The CPU engine's element-wise passes run on their own provider: said beside the products'.
  const backendReason = selected.device ? selected.reason : `${selected.choice.reason}; ${elementwise().reason}`;
  // With worker threads each thread multiplies on one BLAS thread.
  const blasThreads = (options.threads ?? 1) > 1 ? 1 : (options.blasThreads ?? 1);
  if (!(Number.isInteger(blasThreads) && blasThreads >= 1 && blasThreads <= 64))
    throw new UsageError('The number of BLAS threads must be a whole number from 1 to 64.', { field: 'blasThreads' });
  choice?.kernels.setThreads(blasThreads);

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
    const { backend: _backend, blasLibrary: _library, blasThreads: _threads, adapter: _adapter, ...saved } = resumedConfig.training;
    settings = saved;
  }

  const L = architecture.seqLength;
  const trainingPieces = piecesByHash(data, 'train');
  const shifts = settings.transpositions ?? [0];
  if (shifts.length === 0 || !shifts.every((t) => Number.isInteger(t) && Math.abs(t) <= 12))
    throw new UsageError('The transpositions must be one or more whole numbers from -12 to 12.', { field: 'transpositions' });
  const of = (split: 'train' | 'valid'): Uint16Array[] => data.pieces.filter((p) => p.split === split).map((p) => p.tokens);
  const train = windowsOf(of('train'), L, Math.max(1, Math.floor(L / 2)), performanceTranspositions(data.vocab, shifts));
  const maxValid = options.maxValidWindows ?? 64;
  // At most `maxValid` held-out windows, spread evenly over the held-out pieces.
  const valid = windowsOf(of('valid'), L, L, [], (n) =>
    n > maxValid ? Array.from({ length: maxValid }, (_, i) => Math.floor((i * n) / maxValid)) : Array.from({ length: n }, (_, i) => i),
  );
  if (train.starts.length === 0)
    throw new DataError(`No training piece is longer than the model's context of ${L} events; use shorter sequences.`, { field: 'seqLength' });
  if (valid.starts.length === 0)
    throw new DataError(`No held-out piece is longer than ${L} events, so the model cannot be validated.`, { field: 'valid' });
  const validTargets = function* (): Generator<number> {
    for (const s0 of valid.starts) for (let i = 1; i <= L; i++) yield valid.tokens[s0 + i]!;
  };
  const unigram = unigramLikelihood(tokenCounts(train.tokens, architecture.vocabSize), validTargets()).nllPerEvent;

  // On the GPU the step is one device program; CPU threads would only wait on it.
  const threads = selected.device ? 1 : (options.threads ?? 1);
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64))
    throw new UsageError('The number of training threads must be a whole number from 1 to 64.', { field: 'threads' });
  const layout = transformerWeightShapes(architecture);
  const params = initialTransformerWeights(architecture, settings.seed);
  // From sources the worker is transformerGradWorker.ts; in a build, transformerGradWorker.js (an entry of the build).
  const gradWorker = workerModule(import.meta.url, './transformerGradWorker.ts', 'transformerGradWorker.js');
  // What a checkpoint belongs to: architecture, settings, vocabulary and the pieces.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ architecture, settings, threads, tokens: data.vocab.tokens, pieces: data.pieces.map((p) => [p.id, p.split, p.tokens.length]) }))
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
      training: {
        ...settings,
        backend: provider,
        ...(choice?.library ? { blasLibrary: choice.library, blasThreads } : {}),
        ...(selected.device ? { adapter: selected.adapter } : {}),
      },
      metrics,
      credits: resumedConfig?.credits,
      ...(trainingPieces ? { trainingPieces } : {}),
    };
    await writeJsonAtomic(path.join(dir, 'config.json'), config);
  };
  // The folder has a config from the start, so a stopped run can be resumed.
  await writeConfig();

  const workers =
    threads > 1 && choice
      ? await GradientWorkers.startModule(gradWorker, threads - 1, { architecture, windows: train }, [...params.keys()], {
          backend: choice.provider,
          ...(choice.library ? { blasLibrary: choice.library } : {}),
        })
      : undefined;
  const trainable = choice
    ? new TransformerTrainable(architecture, params, choice.kernels, train, valid, settings.batchSize, workers)
    : new DeviceTransformerTrainable(architecture, params, train, valid, settings.batchSize);
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
        startInfo: {
          backend: provider,
          backendReason,
          backendsSkipped: selected.device ? selected.skipped : selected.choice.skipped,
          ...(choice?.library ? { blasLibrary: choice.library, blasThreads } : {}),
          ...(selected.device ? { adapter: selected.adapter } : {}),
          transpositions: shifts,
          threads,
          architecture,
          trainWindows: train.starts.length,
          validWindows: valid.starts.length,
          unigramNll: unigram,
        },
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
    await workers?.close();
    if (trainable instanceof DeviceTransformerTrainable) trainable.dispose();
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
  return {
    modelPath: dir,
    epochs: metrics.epochs,
    steps: result.steps,
    validNll: result.bestValid,
    unigramNll: unigram,
    stoppedEarly: result.stoppedBy === 'early-stopping',
    backend: provider,
    backendReason,
    seconds: (Date.now() - started) / 1000,
  };
}

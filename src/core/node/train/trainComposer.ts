/**
 * Trains the composer on `remi` token data and writes a model folder: `config.json`,
 * `weights.bin` + `weights.json` (the best validation weights so far, rewritten at every
 * validation so the folder is usable while training goes on), `training-log.jsonl` and
 * `checkpoint/` (weights, Adam's moments, step and random state: `resume` continues).
 *
 * Batches are `batchSize` streams, each walking through one piece (in a key drawn from
 * `transpositions`) `chunkTokens` at a time with its state carried; a stream that reaches the
 * end of its piece takes the next one from a shuffled order and starts from a zero state.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CancelledError, DataError, ModelError, UsageError } from '../../common/errors';
import type { ComposerArchitecture, ComposerTrainSettings } from '../../common/models/composer';
import { tokenCounts, unigramLikelihood } from '../../common/evaluate/likelihood';
import { composerWeightShapes } from '../../common/models/composer';
import type { RunOptions } from '../../common/progress';
import { Rng } from '../../common/random';
import { parseRemiToken } from '../../common/tokenize/remi';
import type { TokenizerKind, Vocabulary } from '../../common/tokenize/types';
import { ioError, writeJsonAtomic } from '../fs/atomic';
import { blas } from '../tensor/blas';
import { elementwise } from '../tensor/elementwise';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { appendTrainingLog } from './log';
import { piecesByHash } from '../models/pieces';
import { clipGradients, learningRateAt, Optimizer } from './optimizer';
import { saveWeights } from '../models/weights';
import type { ComposerChunk, ComposerState, ComposerWeights } from '../models/composer/engine';
import { ComposerEngine, emptyChunk } from '../models/composer/engine';
import { scorePieces } from '../models/composer/likelihood';
import type { ComposerMemory } from '../models/composer/config';
import { composerMemoryFor } from '../models/composer/memory';
import type { ComposerMetrics, ComposerModelConfig } from '../models/composer/config';
import { COMPOSER_MODEL_FORMAT, COMPOSER_MODEL_VERSION, flattenWeights } from '../models/composer/config';
import { initComposerWeights, zerosLike } from '../models/composer/weights';
import { remainingSeconds } from '../../common/eta';

/** The data training reads (a `TokenDataset` fits). */
export interface ComposerTrainingData {
  vocab: Vocabulary;
  pieces: { id: string; split: 'train' | 'valid'; tokens: Uint16Array }[];
  /** The data's index: with each file's sha-256, the model names its training and validation pieces. */
  index?: readonly { id: string; sha256?: string }[];
  manifest?: { corpusHash: string; kind: TokenizerKind; tokenizerOptions: Record<string, unknown> };
}

/** What to train and where. */
export interface TrainComposerOptions extends RunOptions {
  modelDir: string;
  architecture: Omit<ComposerArchitecture, 'vocabSize'>;
  training: ComposerTrainSettings;
  preset?: string;
  resume?: boolean;
  /** BLAS threads (default 2 or the core count, whichever is less). */
  threads?: number;
  /** Stop (keeping the best weights) after this many seconds of training. */
  timeLimitSeconds?: number;
  weightsDtype?: 'float32' | 'float16';
  dataPath?: string;
  credits?: string;
}

/** What training produced. */
export interface TrainComposerResult {
  modelDir: string;
  config: ComposerModelConfig;
  stoppedBy: 'steps' | 'time' | 'cancel';
}

interface TrainState {
  fingerprint: string;
  step: number;
  rng: number;
  bestValid: number;
  bestStep: number;
  trainSeconds: number;
  history: { step: number; trainLoss: number; validNll: number; validAccuracy: number; seconds: number }[];
}

/** The id each token id becomes `shift` semitones up, or -1 where a pitch leaves the vocabulary. */
export function transpositionTable(vocab: Vocabulary, shift: number): Int32Array {
  const index = new Map(vocab.tokens.map((t, i) => [t, i]));
  return Int32Array.from(vocab.tokens, (token, id) => {
    const t = parseRemiToken(token);
    if (t?.type !== 'pitch' || shift === 0) return id;
    return index.get(`P_${t.pitch + shift}`) ?? -1;
  });
}

/** Streams of pieces for training: each row walks one (transposed) piece chunk by chunk. */
class Streams {
  private readonly seqs: Int32Array[];
  private readonly pos: number[];
  private order: number[] = [];
  private next = 0;

  constructor(
    private readonly pieces: readonly Uint16Array[],
    private readonly tables: Int32Array[],
    private readonly V: number,
    private readonly K: number,
    readonly batch: number,
    private readonly rng: Rng,
  ) {
    this.seqs = Array.from({ length: batch }, () => new Int32Array(0));
    this.pos = new Array<number>(batch).fill(0);
    for (let b = 0; b < batch; b++) this.load(b);
  }

  /** Puts a fresh piece (random key) into row `b`: sequence = start id, then the piece's ids. */
  private load(b: number): void {
    for (let tries = 0; tries < 100; tries++) {
      if (this.next >= this.order.length) {
        this.order = Array.from({ length: this.pieces.length }, (_, i) => i);
        for (let i = this.order.length - 1; i > 0; i--) {
          const j = this.rng.int(i + 1);
          [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
        }
        this.next = 0;
      }
      const piece = this.pieces[this.order[this.next++]!]!;
      const table = this.tables[this.rng.int(this.tables.length)]!;
      const seq = new Int32Array(piece.length + 1);
      seq[0] = this.V;
      let ok = true;
      for (let i = 0; i < piece.length; i++) {
        const id = table[piece[i]!]!;
        if (id < 0) {
          ok = false;
          break;
        }
        seq[i + 1] = id;
      }
      if (!ok) continue;
      this.seqs[b] = seq;
      this.pos[b] = 0;
      return;
    }
    throw new DataError('No training piece fits the piano in any of the transpositions asked for.', { field: 'transpositions' });
  }

  /** Fills the next chunk and says which rows start a new piece (their state must be zeroed). */
  fill(T: number): { chunk: ComposerChunk; fresh: boolean[] } {
    const B = this.batch;
    const K = this.K;
    const chunk = emptyChunk(B, T, K);
    const fresh: boolean[] = [];
    for (let b = 0; b < B; b++) {
      if (this.pos[b]! >= this.seqs[b]!.length - 1) {
        this.load(b);
        fresh.push(true);
      } else fresh.push(this.pos[b] === 0);
      const seq = this.seqs[b]!;
      const p = this.pos[b]!;
      for (let t = 0; t < T; t++) {
        const i = p + t;
        chunk.inputs[t * B + b] = i < seq.length ? seq[i]! : this.V;
        chunk.targets[t * B + b] = i + 1 < seq.length ? seq[i + 1]! : -1;
      }
      for (let k = 0; k < K - 1; k++) {
        const i = p - (K - 1) + k;
        chunk.history[k * B + b] = i >= 0 ? seq[i]! : this.V;
      }
      this.pos[b] = p + T;
    }
    return { chunk, fresh };
  }
}

function checkSettings(a: Omit<ComposerArchitecture, 'vocabSize'>, s: ComposerTrainSettings): void {
  const bad = (field: string, rule: string): UsageError => new UsageError(`The training setting ${field} must be ${rule}.`, { field });
  const posInt = (v: number): boolean => Number.isInteger(v) && v > 0;
  if (a.forwardUnits.length === 0 || !a.forwardUnits.every(posInt)) throw bad('forwardUnits', 'one or more whole numbers of at least 1');
  if (!posInt(a.backwardUnits)) throw bad('backwardUnits', 'a whole number of at least 1');
  if (!(Number.isInteger(a.lookback) && a.lookback >= 1 && a.lookback <= 64)) throw bad('lookback', 'a whole number from 1 to 64');
  if (!(a.dropout >= 0 && a.dropout < 1)) throw bad('dropout', 'from 0 to below 1');
  if (!posInt(s.batchSize)) throw bad('batchSize', 'a whole number of at least 1');
  if (!posInt(s.chunkTokens)) throw bad('chunkTokens', 'a whole number of at least 1');
  if (!posInt(s.steps)) throw bad('steps', 'a whole number of at least 1');
  if (!posInt(s.validateEvery)) throw bad('validateEvery', 'a whole number of at least 1');
  if (!(s.learningRate > 0 && s.learningRate < 1)) throw bad('learningRate', 'above 0 and below 1');
  if (s.transpositions.length === 0 || !s.transpositions.every((t) => Number.isInteger(t) && Math.abs(t) <= 12))
    throw bad('transpositions', 'one or more whole numbers from -12 to 12');
}

/**
 * Trains the composer on `data` into `options.modelDir`. Throws `DataError` when the data is not
 * `remi` tokens or has no validation piece, `UsageError` for bad settings, `CancelledError` when
 * cancelled (after a checkpoint that `resume` continues; the best weights so far stay usable).
 */
export async function trainComposer(data: ComposerTrainingData, options: TrainComposerOptions): Promise<TrainComposerResult> {
  const s = options.training;
  checkSettings(options.architecture, s);
  if (data.vocab.kind !== 'remi')
    throw new DataError(`The composer trains on remi tokens, but this data holds ${data.vocab.kind} tokens; preprocess with --tokenizer remi.`, { field: 'tokenizer' });
  const V = data.vocab.tokens.length;
  const architecture: ComposerArchitecture = { ...options.architecture, kind: 'composer', vocabSize: V };
  const train = data.pieces.filter((p) => p.split === 'train' && p.tokens.length > 1).map((p) => p.tokens);
  const valid = data.pieces.filter((p) => p.split === 'valid' && p.tokens.length > 1).map((p) => p.tokens);
  if (train.length === 0) throw new DataError('There is no training piece with at least two tokens.', { field: 'pieces' });
  if (valid.length === 0)
    throw new DataError('There is no validation piece, so training cannot be checked; preprocess with a validation share above 0 and more pieces.', { field: 'pieces' });
  for (const p of data.pieces)
    for (const id of p.tokens) if (id >= V) throw new DataError(`Piece ${p.id} has token id ${id}, outside the vocabulary of ${V} tokens.`, { field: 'tokens' });

  const dir = options.modelDir;
  const checkpointDir = path.join(dir, 'checkpoint');
  if (options.resume && !hasCheckpoint(checkpointDir))
    throw new ModelError(`Cannot resume: ${dir} has no checkpoint to continue from; start without --resume.`, { path: dir });
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw ioError(error, dir, 'create');
  }
  const provider = blas();
  const ew = elementwise();
  const threads = options.threads ?? 2;
  provider.setThreads(threads);
  const corpusHash = data.manifest?.corpusHash ?? createHash('sha256').update(data.pieces.map((p) => `${p.id}:${p.tokens.length}`).join('\n')).digest('hex');
  const fingerprint = createHash('sha256').update(JSON.stringify({ architecture, s: { ...s, steps: 0 }, corpusHash })).digest('hex');
  const logFile = path.join(dir, 'training-log.jsonl');
  const trainingPieces = piecesByHash(data, 'train');
  const validPieces = piecesByHash(data, 'valid');

  const weights = initComposerWeights(architecture, s.seed);
  const optimizer = new Optimizer('adam', weights);
  let best: ComposerWeights = new Map([...weights].map(([k, v]) => [k, v.slice()]));
  let state: TrainState = { fingerprint, step: 0, rng: s.seed ^ 0x2545f491, bestValid: Infinity, bestStep: 0, trainSeconds: 0, history: [] };
  if (options.resume) {
    const cp = await loadCheckpoint<TrainState>(checkpointDir);
    if (cp.state.fingerprint !== fingerprint)
      throw new ModelError(`The checkpoint in ${checkpointDir} was made with other settings or data; start without --resume or use the same ones.`, { path: checkpointDir });
    for (const [k, v] of cp.tensors.weights!) weights.get(k)!.set(v);
    best = cp.tensors.best!;
    optimizer.setState({ kind: 'adam', step: cp.state.step, m: cp.tensors.m!, v: cp.tensors.v! });
    state = cp.state;
  }
  const rng = new Rng(state.rng);
  const engine = new ComposerEngine(architecture, weights, provider.sgemm);
  const tables = s.transpositions.map((t) => transpositionTable(data.vocab, t));
  const streams = new Streams(train, tables, V, architecture.lookback, s.batchSize, rng);
  const uniNll = unigramLikelihood(tokenCounts(train.flatMap((p) => [...p]), V), valid.flatMap((p) => [...p])).nllPerEvent;
  const grads = zerosLike(weights);
  await appendTrainingLog(logFile, {
    type: 'start',
    resumed: options.resume === true,
    step: state.step,
    kernels: provider.kind,
    kernelLibrary: provider.library,
    kernelReason: provider.reason,
    elementwise: ew.kind,
    elementwiseReason: ew.reason,
    threads,
    architecture,
    training: s,
    trainPieces: train.length,
    validPieces: valid.length,
    trainTokens: train.reduce((n, p) => n + p.length, 0),
    unigramNll: uniNll,
  });

  const writeModel = async (final: boolean, validNll: number, validAccuracy: number, targets: number, memory?: ComposerMemory): Promise<ComposerModelConfig> => {
    const metrics: ComposerMetrics = {
      validNll,
      validAccuracy,
      validTargets: targets,
      validScope: final ? 'whole validation pieces' : `first ${s.validTokens || 'all'} tokens of each validation piece`,
      unigramNll: uniNll,
      steps: state.step,
      bestStep: state.bestStep,
      trainSeconds: Math.round(state.trainSeconds),
      trainTargets: state.step * s.batchSize * s.chunkTokens,
    };
    const config: ComposerModelConfig = {
      format: COMPOSER_MODEL_FORMAT,
      version: COMPOSER_MODEL_VERSION,
      architecture,
      tokenizer: { kind: 'remi', ...(data.manifest?.tokenizerOptions ?? {}) },
      vocab: data.vocab,
      corpusHash,
      training: {
        ...s,
        kernels: provider.kind,
        kernelLibrary: provider.library,
        kernelReason: provider.reason,
        elementwise: ew.kind,
        elementwiseReason: ew.reason,
        threads, ...(options.preset ? { preset: options.preset } : {}) },
      metrics,
      ...(trainingPieces ? { trainingPieces } : {}),
      ...(validPieces ? { validPieces } : {}),
      ...(memory ? { memory } : {}),
      ...(options.credits ? { credits: options.credits } : {}),
      createdAt: new Date().toISOString(),
    };
    await saveWeights(dir, composerWeightShapes(architecture), flattenWeights(architecture, best), options.weightsDtype ?? 'float32');
    await writeJsonAtomic(path.join(dir, 'config.json'), config);
    return config;
  };

  const checkpoint = async (): Promise<void> => {
    state.rng = rng.getState();
    const o = optimizer.getState();
    await saveCheckpoint(checkpointDir, { state, tensors: { weights, best, m: o.m, v: o.v } });
  };

  let carried: ComposerState = engine.zeroState(s.batchSize);
  let lossWindow = 0;
  let lossCount = 0;
  let stoppedBy: TrainComposerResult['stoppedBy'] = 'steps';
  let config: ComposerModelConfig | undefined;
  const started = Date.now();
  const secondsAtStart = state.trainSeconds;
  const stepAtStart = state.step;
  // The whole run's time left (step budget or time limit), which the CLI bar and the app show; validation reports repeat the last.
  let runRemaining: number | undefined;
  const warmup = Math.min(100, Math.floor(s.steps / 10));
  const validateNow = async (): Promise<void> => {
    const v = scorePieces(engine, valid, s.validTokens, 256, options.signal);
    const nll = v.nats / Math.max(1, v.targets);
    state.trainSeconds = secondsAtStart + (Date.now() - started) / 1000;
    const trainLoss = lossWindow / Math.max(1, lossCount);
    lossWindow = 0;
    lossCount = 0;
    if (nll < state.bestValid) {
      state.bestValid = nll;
      state.bestStep = state.step;
      best = new Map([...weights].map(([k, w]) => [k, w.slice()]));
    }
    state.history.push({ step: state.step, trainLoss, validNll: nll, validAccuracy: v.correct / Math.max(1, v.targets), seconds: Math.round(state.trainSeconds) });
    await appendTrainingLog(logFile, { type: 'epoch', step: state.step, trainLoss, validNll: nll, validAccuracy: v.correct / Math.max(1, v.targets), bestValid: state.bestValid, seconds: state.trainSeconds });
    await checkpoint();
    config = await writeModel(false, state.bestValid, v.correct / Math.max(1, v.targets), v.targets);
    options.onProgress?.({ stage: 'validate', done: state.step, total: s.steps, message: `step ${state.step}: valid ${nll.toFixed(3)} nats/token`, metrics: { trainLoss, validNll: nll }, remainingSeconds: runRemaining });
  };

  try {
    while (state.step < s.steps) {
      if (options.signal?.aborted) {
        stoppedBy = 'cancel';
        break;
      }
      if (options.timeLimitSeconds !== undefined && secondsAtStart + (Date.now() - started) / 1000 >= options.timeLimitSeconds) {
        stoppedBy = 'time';
        break;
      }
      const { chunk, fresh } = streams.fill(s.chunkTokens);
      architecture.forwardUnits.forEach((H, l) => {
        fresh.forEach((f, b) => {
          if (!f) return;
          carried.h[l]!.fill(0, b * H, b * H + H);
          carried.c[l]!.fill(0, b * H, b * H + H);
        });
      });
      for (const g of grads.values()) g.fill(0);
      const f = engine.forward(chunk, carried, new Rng((s.seed * 7919 + state.step) >>> 0));
      carried = f.state;
      const loss = engine.backward(f, grads);
      if (s.clipNorm > 0) clipGradients(grads, s.clipNorm);
      optimizer.apply(weights, grads, learningRateAt(s.schedule, s.learningRate, state.step, s.steps, warmup));
      state.step++;
      lossWindow += loss;
      lossCount++;
      const elapsed = (Date.now() - started) / 1000;
      runRemaining = remainingSeconds({
        unitsDone: state.step - stepAtStart,
        unitsLeft: s.steps - state.step,
        elapsedSeconds: elapsed,
        timeLimitSeconds: options.timeLimitSeconds,
        limitUsedSeconds: secondsAtStart + elapsed,
      });
      options.onProgress?.({
        stage: 'train',
        done: state.step,
        total: s.steps,
        message: `loss ${loss.toFixed(3)}`,
        metrics: {
          loss,
          targetsPerSecond: ((state.step - stepAtStart) * s.batchSize * s.chunkTokens) / Math.max(1e-9, elapsed),
        },
        remainingSeconds: runRemaining,
      });
      if (state.step % s.validateEvery === 0) await validateNow();
    }
  } catch (error) {
    if (error instanceof CancelledError) stoppedBy = 'cancel';
    else throw error;
  }
  if (stoppedBy === 'cancel') {
    await checkpoint();
    if (!config && state.history.length === 0) throw new CancelledError();
  }
  if (state.history[state.history.length - 1]?.step !== state.step && stoppedBy !== 'cancel') await validateNow();
  // The final score is over whole validation pieces with the best weights.
  const bestEngine = new ComposerEngine(architecture, best, provider.sgemm);
  const finalSignal = stoppedBy === 'cancel' ? undefined : options.signal;
  const whole = scorePieces(bestEngine, valid, 0, 256, finalSignal);
  options.onProgress?.({ stage: 'validate', done: state.step, total: s.steps, message: 'fitting the piece memory' });
  const memory = composerMemoryFor(bestEngine, data.vocab.tokens, train, valid, finalSignal);
  config = await writeModel(true, whole.nats / Math.max(1, whole.targets), whole.correct / Math.max(1, whole.targets), whole.targets, memory);
  await appendTrainingLog(logFile, { type: 'end', stoppedBy, step: state.step, validNll: config.metrics.validNll, seconds: state.trainSeconds });
  if (stoppedBy === 'cancel') throw new CancelledError();
  return { modelDir: dir, config, stoppedBy };
}

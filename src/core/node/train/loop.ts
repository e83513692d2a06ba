/**
 * The training loop, for any model whose parameters are `Map<string, Float32Array>` and that
 * can compute gradients for a batch of example indexes: epochs over a seeded shuffle, optimizer
 * steps with a learning-rate schedule and gradient clipping, validation after every epoch,
 * early stopping on the validation loss, an atomic checkpoint after every epoch (and on cancel),
 * exact resume, a JSON-lines log and live progress.
 *
 * Exact resume holds because nothing depends on history that is not in the checkpoint: each
 * epoch's example order comes from (seed, epoch), each step's dropout seed from (seed, step),
 * and weights, optimizer moments, best weights and counters are all stored.
 */
import { CancelledError } from '../../common/errors';
import type { RunOptions } from '../../common/progress';
import { DataError } from '../../common/errors';
import type { TensorGroup } from './checkpoint';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { appendTrainingLog } from './log';
import type { OptimizerKind, OptimizerState } from './optimizer';
import { clipGradients, learningRateAt, Optimizer } from './optimizer';
import { epochOrder } from './windows';
import { remainingSeconds } from '../../common/eta';

/** What the loop needs from a model. */
export interface Trainable {
  /** The parameters, updated in place by the optimizer. */
  readonly params: Map<string, Float32Array>;
  /** Training examples available (indexes 0..count-1). */
  readonly trainExamples: number;
  /**
   * Adds the gradient of the mean loss over examples `order[start .. start+count)` into `grads`
   * (zeroed by the caller) and returns that mean loss. `dropoutSeed` seeds this step's dropout.
   */
  gradients(
    order: Int32Array,
    start: number,
    count: number,
    grads: Map<string, Float32Array>,
    dropoutSeed: number,
  ): number | Promise<number>;
  /** Scores the held-out examples: mean negative log-likelihood (nats) and top-1 accuracy. */
  validate(signal?: AbortSignal): Validation | Promise<Validation>;
  /**
   * Present when weights and optimizer live on a device (the webgpu backend): the loop then calls
   * `device.step` instead of `gradients` + its own clipping and optimizer, and reads the state
   * back only to keep best weights and to checkpoint.
   */
  readonly device?: DeviceTraining;
}

/** Held-out figures: mean negative log-likelihood (nats), top-1 accuracy and the targets scored. */
export interface Validation {
  nll: number;
  accuracy: number;
  targets: number;
}

/** A whole training step on the device, and the state moving to and from the host. */
export interface DeviceTraining {
  /**
   * One optimizer step on examples `order[start .. start+count)`: forward, backward, clipping to
   * `clipNorm` and the update at `learningRate`, all on the device; returns the mean loss (the
   * only value read back).
   */
  step(order: Int32Array, start: number, count: number, dropoutSeed: number, learningRate: number, clipNorm: number): Promise<number>;
  /** Copies the device's weights into the Trainable's `params` and returns the optimizer state. */
  pull(): Promise<OptimizerState>;
  /** Sends `params` and `state` (from a checkpoint) to the device. */
  push(state: OptimizerState): void;
}

/** Settings the loop reads (a subset of `LstmTrainSettings`, so other models can share it). */
export interface LoopSettings {
  batchSize: number;
  epochs: number;
  optimizer: OptimizerKind;
  learningRate: number;
  schedule: 'constant' | 'cosine';
  patience: number;
  seed: number;
  maxStepsPerEpoch: number;
  clipNorm?: number;
  /** Linear learning-rate warm-up steps before the schedule (default 0). */
  warmupSteps?: number;
}

/** One epoch's figures, as logged and kept in the history. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Steps run in this epoch. */
  steps: number;
  /** Mean training loss over the epoch's steps (nats per target). */
  trainLoss: number;
  /** Mean validation negative log-likelihood (nats per target). */
  validNll: number;
  /** Validation top-1 accuracy (0..1). */
  validAccuracy: number;
  /** Learning rate at the end of the epoch. */
  learningRate: number;
  /** Wall-clock seconds of the epoch's training steps (validation excluded). */
  trainSeconds: number;
  /** Training targets per second over the epoch. */
  targetsPerSecond: number;
  /** Milliseconds per optimizer step over the epoch. */
  msPerStep: number;
}

/** Everything the checkpoint's state.json holds. */
interface LoopState {
  /** Identifies model, data and settings; a resume with a different one is refused. */
  fingerprint: string;
  /** 0-based epoch in progress. */
  epoch: number;
  /** Steps of that epoch already done. */
  stepInEpoch: number;
  /** Optimizer steps so far. */
  globalStep: number;
  /** Training-loss sum and count of the epoch in progress. */
  lossSum: number;
  lossCount: number;
  /** Seconds spent on the epoch in progress before the checkpoint. */
  epochSeconds: number;
  bestValid: number;
  bestEpoch: number;
  badEpochs: number;
  history: EpochRecord[];
  /** Seconds of training (all sessions). */
  trainSeconds: number;
  finished: boolean;
}

/** How the loop runs. */
export interface LoopOptions extends RunOptions {
  /** Checkpoint folder. */
  checkpointDir: string;
  /** The JSON-lines log file. */
  logFile: string;
  /** Continue from the checkpoint in `checkpointDir`. */
  resume?: boolean;
  /** A string identifying model, data and settings; resuming with another one is refused. */
  fingerprint: string;
  /** Stop after this many seconds of training (the current epoch is cut short, then validated). */
  timeLimitSeconds?: number;
  /** Extra fields for the log's start line (backend, sizes…). */
  startInfo?: Record<string, unknown>;
  /** Targets (predicted tokens) per training example, for the targets/s figures (default 1). */
  targetsPerExample?: number;
  /**
   * Called after each epoch's validation and checkpoint with the epoch's figures and the best
   * parameters so far, e.g. to keep a usable model folder while a long run goes on.
   */
  onEpoch?: (record: EpochRecord, best: TensorGroup) => Promise<void>;
}

/** How training ended. */
export interface LoopResult {
  /** The parameters with the best validation loss. */
  best: TensorGroup;
  bestEpoch: number;
  bestValid: number;
  history: EpochRecord[];
  steps: number;
  trainSeconds: number;
  stoppedBy: 'epochs' | 'early-stopping' | 'time-limit';
}

function dropoutSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(step + 1, 0x165667b1)) >>> 0;
}

function clone(group: Map<string, Float32Array>): TensorGroup {
  return new Map([...group].map(([k, v]) => [k, v.slice()]));
}

/** Trains `model` with `settings`; see the file comment for what it guarantees. */
export async function runTrainingLoop(
  model: Trainable,
  settings: LoopSettings,
  options: LoopOptions,
): Promise<LoopResult> {
  const { onProgress, signal } = options;
  const targetsPerExample = options.targetsPerExample ?? 1;
  const n = model.trainExamples;
  if (n === 0)
    throw new DataError('There are no training examples; the training pieces are shorter than the window.');
  const stepsPerEpoch = Math.min(
    Math.ceil(n / settings.batchSize),
    settings.maxStepsPerEpoch > 0 ? settings.maxStepsPerEpoch : Infinity,
  );
  const totalSteps = stepsPerEpoch * settings.epochs;
  const optimizer = new Optimizer(settings.optimizer, model.params);
  let best = clone(model.params);
  let state: LoopState = {
    fingerprint: options.fingerprint,
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    lossSum: 0,
    lossCount: 0,
    epochSeconds: 0,
    // Not Infinity: the state goes through JSON, which has no Infinity.
    bestValid: Number.MAX_VALUE,
    bestEpoch: 0,
    badEpochs: 0,
    history: [],
    trainSeconds: 0,
    finished: false,
  };

  if (options.resume) {
    const cp = await loadCheckpoint<LoopState>(options.checkpointDir);
    if (cp.state.fingerprint !== options.fingerprint)
      throw new DataError(
        `The checkpoint in ${options.checkpointDir} was made with another model, data or settings; resume with the same ones or start a new model folder.`,
        { path: options.checkpointDir },
      );
    for (const [name, p] of model.params) p.set(cp.tensors.weights!.get(name)!);
    best = cp.tensors.best!;
    optimizer.setState({
      kind: settings.optimizer,
      step: cp.state.globalStep,
      m: cp.tensors.m!,
      v: cp.tensors.v!,
    });
    state = cp.state;
    model.device?.push(optimizer.getState());
  } else if (hasCheckpoint(options.checkpointDir))
    throw new DataError(
      `${options.checkpointDir} already holds a training checkpoint; pass --resume to continue it or --force to start afresh, or use a new model folder.`,
      { path: options.checkpointDir },
    );

  // On a device, `pull` also brings the weights into `model.params`.
  const hostState = (): Promise<OptimizerState> | OptimizerState => (model.device ? model.device.pull() : optimizer.getState());
  const save = async (opt: OptimizerState): Promise<void> => {
    await saveCheckpoint(options.checkpointDir, {
      state,
      tensors: { weights: model.params, best, m: opt.m, v: opt.v },
    });
  };

  await appendTrainingLog(options.logFile, {
    type: 'start',
    resumed: Boolean(options.resume),
    fromEpoch: state.epoch + 1,
    fromStep: state.globalStep,
    trainExamples: n,
    stepsPerEpoch,
    settings,
    ...options.startInfo,
  });

  const grads = new Map([...model.params].map(([k, v]) => [k, new Float32Array(v.length)]));
  const sessionStart = performance.now();
  const trainSecondsAtStart = state.trainSeconds;
  const stepAtStart = state.globalStep;
  // The whole run's time left, at this session's pace (validations included); validation reports repeat the last.
  let runRemaining: number | undefined;
  const cancel = async (): Promise<never> => {
    state.trainSeconds = trainSecondsAtStart + (performance.now() - sessionStart) / 1000;
    await save(await hostState());
    await appendTrainingLog(options.logFile, {
      type: 'stop',
      reason: 'cancelled',
      epoch: state.epoch + 1,
      step: state.globalStep,
      stepInEpoch: state.stepInEpoch,
      // The epoch's loss so far: a run cancelled before its first epoch ends still has one to show.
      ...(state.lossCount > 0 ? { loss: state.lossSum / state.lossCount } : {}),
    });
    throw new CancelledError(
      `Training was cancelled; the checkpoint in ${options.checkpointDir} can be resumed with --resume.`,
      {
        path: options.checkpointDir,
      },
    );
  };

  let stoppedBy: LoopResult['stoppedBy'] = 'epochs';
  while (!state.finished && state.epoch < settings.epochs) {
    const order = epochOrder(n, settings.seed, state.epoch);
    let stepClock = performance.now();
    let timeUp = false;
    while (state.stepInEpoch < stepsPerEpoch) {
      if (signal?.aborted) await cancel();
      const start = state.stepInEpoch * settings.batchSize;
      const count = Math.min(settings.batchSize, n - start);
      const lr = learningRateAt(settings.schedule, settings.learningRate, state.globalStep, totalSteps, settings.warmupSteps);
      const seed = dropoutSeed(settings.seed, state.globalStep);
      let loss: number;
      if (model.device) loss = await model.device.step(order, start, count, seed, lr, settings.clipNorm ?? 5);
      else {
        for (const g of grads.values()) g.fill(0);
        loss = await model.gradients(order, start, count, grads, seed);
      }
      if (!Number.isFinite(loss))
        throw new DataError(
          `The training loss became ${loss} at step ${state.globalStep + 1}; lower the learning rate.`,
          {
            field: 'learningRate',
          },
        );
      if (!model.device) {
        clipGradients(grads, settings.clipNorm ?? 5);
        optimizer.apply(model.params, grads, lr);
      }
      state.globalStep++;
      state.stepInEpoch++;
      state.lossSum += loss;
      state.lossCount++;
      const now = performance.now();
      state.epochSeconds += (now - stepClock) / 1000;
      stepClock = now;
      const stepsLeft =
        stepsPerEpoch - state.stepInEpoch + (settings.epochs - state.epoch - 1) * stepsPerEpoch;
      const sessionSeconds = (now - sessionStart) / 1000;
      runRemaining = remainingSeconds({
        unitsDone: state.globalStep - stepAtStart,
        unitsLeft: stepsLeft,
        elapsedSeconds: sessionSeconds,
        timeLimitSeconds: options.timeLimitSeconds,
        limitUsedSeconds: trainSecondsAtStart + sessionSeconds,
      });
      onProgress?.({
        stage: `epoch ${state.epoch + 1}/${settings.epochs}`,
        done: state.stepInEpoch,
        total: stepsPerEpoch,
        metrics: {
          epoch: state.epoch + 1,
          step: state.globalStep,
          loss: state.lossSum / state.lossCount,
          ...(state.history.length ? { validLoss: state.history[state.history.length - 1]!.validNll } : {}),
          targetsPerSecond: (state.stepInEpoch * settings.batchSize * targetsPerExample) / state.epochSeconds,
        },
        ...(runRemaining !== undefined ? { remainingSeconds: runRemaining } : {}),
      });
      // Let the event loop run (signals, progress writes) between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const elapsed = trainSecondsAtStart + (performance.now() - sessionStart) / 1000;
      if (options.timeLimitSeconds !== undefined && elapsed >= options.timeLimitSeconds) {
        timeUp = true;
        break;
      }
    }

    onProgress?.({
      stage: `validate ${state.epoch + 1}/${settings.epochs}`,
      done: 0,
      total: 1,
      ...(runRemaining !== undefined ? { remainingSeconds: runRemaining } : {}),
    });
    const valid = await model.validate(signal);
    // A validation cut short by a cancel is not a result: the checkpoint resumes at this validation.
    if (signal?.aborted) await cancel();
    const opt = await hostState();
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      steps: state.stepInEpoch,
      trainLoss: state.lossSum / Math.max(1, state.lossCount),
      validNll: valid.nll,
      validAccuracy: valid.accuracy,
      learningRate: learningRateAt(
        settings.schedule,
        settings.learningRate,
        Math.max(0, state.globalStep - 1),
        totalSteps,
        settings.warmupSteps,
      ),
      trainSeconds: state.epochSeconds,
      targetsPerSecond: (state.stepInEpoch * settings.batchSize * targetsPerExample) / Math.max(1e-9, state.epochSeconds),
      msPerStep: (state.epochSeconds * 1000) / Math.max(1, state.stepInEpoch),
    };
    state.history.push(record);
    if (valid.nll < state.bestValid) {
      state.bestValid = valid.nll;
      state.bestEpoch = record.epoch;
      state.badEpochs = 0;
      best = clone(model.params);
    } else state.badEpochs++;
    state.epoch++;
    state.stepInEpoch = 0;
    state.lossSum = 0;
    state.lossCount = 0;
    state.epochSeconds = 0;
    state.trainSeconds = trainSecondsAtStart + (performance.now() - sessionStart) / 1000;
    if (timeUp) stoppedBy = 'time-limit';
    else if (state.badEpochs >= settings.patience) stoppedBy = 'early-stopping';
    if (stoppedBy !== 'epochs' || state.epoch >= settings.epochs) state.finished = true;
    await save(opt);
    await appendTrainingLog(options.logFile, {
      type: 'epoch',
      ...record,
      best: state.bestEpoch === record.epoch,
    });
    await options.onEpoch?.(record, best);
    onProgress?.({
      stage: `validate ${record.epoch}/${settings.epochs}`,
      done: 1,
      total: 1,
      metrics: {
        epoch: record.epoch,
        loss: record.trainLoss,
        validLoss: record.validNll,
        validAccuracy: record.validAccuracy,
      },
      ...(runRemaining !== undefined ? { remainingSeconds: runRemaining } : {}),
    });
  }
  if (state.finished && stoppedBy === 'epochs' && state.history.length > 0 && state.epoch < settings.epochs) {
    // A resumed run whose checkpoint had already finished: report why it had stopped.
    stoppedBy = state.badEpochs >= settings.patience ? 'early-stopping' : 'time-limit';
  }
  await appendTrainingLog(options.logFile, {
    type: 'stop',
    reason: stoppedBy,
    epoch: state.epoch,
    step: state.globalStep,
    bestEpoch: state.bestEpoch,
  });
  return {
    best,
    bestEpoch: state.bestEpoch,
    bestValid: state.bestValid,
    history: state.history,
    steps: state.globalStep,
    trainSeconds: state.trainSeconds,
    stoppedBy,
  };
}

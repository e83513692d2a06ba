/**
 * How long a training run will take on this corpus, said before it starts: the steps the run
 * plans (from the prepared data's piece lengths and the preset) times the pace of this preset's
 * last run in this data folder, or a reference pace when it has not run here yet.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { LSTM_PRESETS } from '../core/common/models/lstm';
import { composerPreset, isComposerPresetName, type ComposerPresetName } from '../core/common/models/composer';
import type { Seconds } from '../core/common/units';
import { readJson } from '../core/node/fs/atomic';
import { readTrainingLog } from '../core/node/train/log';
import { dataLayout, type RunRecord } from './layout';
import { preparedKind } from './prepared';

/** The preset names the app trains. */
export type TrainPresetName = keyof typeof LSTM_PRESETS | ComposerPresetName;

/**
 * Seconds per optimizer step of each preset on the 2-core development machine (native BLAS, other
 * jobs running), the estimate before a preset has run in this data folder: tiny, small and default
 * measured on 30 pieces (2026-12-03, 15 steps each, under load); seed from docs/BENCHMARKS.md
 * (0.98 s idle) doubled for load, since 15 steps under that load took 25 s a step; the composer
 * presets measured the same way on 10 steps (their training seconds, a validation included).
 */
export const REFERENCE_SECONDS_PER_STEP: Record<TrainPresetName, Seconds> = {
  // A whole tiny run on 30 pieces: 2,000 steps in 5 s of wall time (0.0025 s a step); 15-step runs say 0.014 (start-up).
  tiny: 0.005,
  small: 0.19,
  default: 0.76,
  seed: 2,
  'composer-tiny': 0.1,
  'composer-small': 0.8,
  composer: 1.2,
};

/** What a run will do, in steps. */
export interface PlannedSteps {
  epochs: number;
  stepsPerEpoch: number;
  steps: number;
}

/**
 * The steps a run of `preset` takes over training pieces of `trainLengths` tokens, with the same
 * caps `runTraining` applies (`maxSteps` spread over the epochs; a composer's is its step count).
 */
export function plannedSteps(
  preset: TrainPresetName,
  trainLengths: readonly number[],
  overrides: { epochs?: number; maxSteps?: number } = {},
): PlannedSteps {
  if (isComposerPresetName(preset)) {
    const steps = overrides.maxSteps ?? composerPreset(preset).training.steps;
    return { epochs: 1, stepsPerEpoch: steps, steps };
  }
  const p = LSTM_PRESETS[preset];
  const epochs = overrides.epochs ?? p.training.epochs;
  const stride = p.training.stride ?? 1;
  const window = p.architecture.window;
  const windows = trainLengths.reduce((n, len) => n + Math.max(0, Math.ceil((len - window) / stride)), 0);
  const cap = overrides.maxSteps
    ? Math.max(1, Math.ceil(overrides.maxSteps / epochs))
    : p.training.maxStepsPerEpoch;
  const stepsPerEpoch = Math.min(Math.ceil(windows / p.training.batchSize), cap > 0 ? cap : Infinity);
  return { epochs, stepsPerEpoch, steps: stepsPerEpoch * epochs };
}

/** A run's estimate, as `train.estimate` answers it. */
export interface TrainEstimate extends PlannedSteps {
  /** Seconds per step used. */
  secondsPerStep: Seconds;
  /** The whole run, in seconds (training steps; validation adds a little each epoch). */
  seconds: Seconds;
  /** `measured`: this preset's last run here; `reference`: the development machine's figure. */
  basis: 'measured' | 'reference';
}

/** Seconds per step of the newest run of `preset` in this data folder that took steps, if any. */
async function measuredPace(dataDir: string, preset: string): Promise<Seconds | undefined> {
  const root = dataLayout(dataDir).models;
  const ids = await fs.readdir(root).catch(() => [] as string[]);
  let best: { at: string; pace: Seconds } | undefined;
  for (const id of ids) {
    const runFile = path.join(root, id, 'run.json');
    if (!existsSync(runFile)) continue;
    const record = await readJson<Partial<RunRecord>>(runFile).catch(() => ({}) as Partial<RunRecord>);
    if (record.preset !== preset) continue;
    const log = await readTrainingLog(path.join(root, id, 'training-log.jsonl')).catch(() => []);
    const epochs = log.filter((e) => e.type === 'epoch');
    const last = epochs[epochs.length - 1];
    if (!last) continue;
    // Windowed runs log each epoch's ms per step; a composer logs its training seconds at each validation.
    const pace =
      typeof last.msPerStep === 'number'
        ? last.msPerStep / 1000
        : typeof last.seconds === 'number' && typeof last.step === 'number' && last.step > 0
          ? last.seconds / last.step
          : undefined;
    if (pace === undefined || !Number.isFinite(pace) || pace <= 0) continue;
    if (!best || last.time > best.at) best = { at: last.time, pace };
  }
  return best?.pace;
}

/** The estimate for a run of `preset` on the prepared data; null when that data is not prepared. */
export async function estimateTraining(
  dataDir: string,
  preset: TrainPresetName,
  overrides: { epochs?: number; maxSteps?: number } = {},
): Promise<TrainEstimate | null> {
  const index = path.join(dataLayout(dataDir).dataset, preparedKind(preset), 'index.json');
  if (!existsSync(index)) return null;
  const pieces = await readJson<Array<{ length: number; split: string }>>(index).catch(() => null);
  if (!Array.isArray(pieces)) return null;
  const planned = plannedSteps(
    preset,
    pieces.filter((p) => p.split === 'train').map((p) => p.length),
    overrides,
  );
  const measured = await measuredPace(dataDir, preset);
  const secondsPerStep = measured ?? REFERENCE_SECONDS_PER_STEP[preset];
  return {
    ...planned,
    secondsPerStep,
    seconds: planned.steps * secondsPerStep,
    basis: measured !== undefined ? 'measured' : 'reference',
  };
}

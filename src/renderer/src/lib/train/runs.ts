/** How the Train screen words a training run: its progress cell and what a cancel kept. */
import type { TrainRun } from '../../../../api/schemas';
import { formatCount } from '../format/time';

/** The progress cell: "epoch 1 of 30 · step 3,000 of 237,420" (a composer has steps only). */
export function runProgressText(run: TrainRun): string {
  const steps =
    run.steps === undefined
      ? ''
      : `step ${formatCount(run.steps)}${run.stepsPlanned ? ` of ${formatCount(run.stepsPlanned)}` : ''}`;
  // A composer runs one pass of steps: its epochs say nothing.
  if (run.preset.startsWith('composer')) return steps || '—';
  const inEpoch = run.state === 'finished' ? run.epochsDone : Math.min(run.epochsPlanned, run.epochsDone + 1);
  const epochs = `epoch ${inEpoch} of ${run.epochsPlanned}`;
  return steps ? `${epochs} · ${steps}` : epochs;
}

/** The name shown for a run: the one typed, else its id. */
export function runName(run: TrainRun): string {
  return run.name?.trim() || run.id;
}

/** What the screen says once a run is cancelled: where it stopped, and that Resume goes on from there. */
export function cancelledText(run: TrainRun | undefined): string {
  if (!run || run.state !== 'stopped')
    return 'Training was cancelled before its first checkpoint, so there is nothing to resume; Start training begins again.';
  const where = run.steps !== undefined ? ` at step ${formatCount(run.steps)}` : '';
  return `Training stopped${where}. The checkpoint is kept: Resume continues “${runName(run)}” from there.`;
}

/**
 * The Backend tile: what trains now (from the job's "backend wasm" progress line), else what the
 * newest run trained on, else the setting (which may be "auto", so it says so).
 */
export function backendShown(
  progressMessage: string | undefined,
  runs: readonly TrainRun[],
  setting: string | undefined,
): string {
  const live = /backend[:= ]+(\S+)/i.exec(progressMessage ?? '')?.[1];
  if (live) return live;
  const ran = runs.find((r) => r.backend)?.backend;
  if (ran) return ran;
  return !setting || setting === 'auto' ? 'automatic' : setting;
}

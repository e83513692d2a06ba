/** How long a whole training run has left, from its pace so far. */
import type { Seconds } from '../../common/units';

/** What `runEtaSeconds` needs to know about a run in progress. */
export interface RunPace {
  /** Optimizer steps still to take before the run's last epoch (or step budget) ends. */
  stepsLeft: number;
  /** Seconds one step has taken on average so far. */
  secondsPerStep: Seconds;
  /** Seconds of training the run has done, earlier sessions included. */
  trainedSeconds: Seconds;
  /** The run's time limit in seconds, when it has one. */
  timeLimitSeconds?: Seconds;
}

/**
 * Seconds until the whole run ends: every step left at the pace so far, or the time limit's
 * remainder when that comes first. NaN while the pace is unknown (no step taken yet).
 */
export function runEtaSeconds(pace: RunPace): Seconds {
  const bySteps =
    Number.isFinite(pace.secondsPerStep) && pace.secondsPerStep > 0
      ? Math.max(0, pace.stepsLeft) * pace.secondsPerStep
      : NaN;
  if (pace.timeLimitSeconds === undefined) return bySteps;
  const byTime = Math.max(0, pace.timeLimitSeconds - pace.trainedSeconds);
  return Number.isNaN(bySteps) ? byTime : Math.min(bySteps, byTime);
}

/**
 * The one estimate of time left: the pace of the whole run so far carried over the work that is
 * left, cut at the run's time limit. Training loops compute it for the whole run; `StagePace`
 * computes it for a stage that reports only counts. Progress events carry it as `remainingSeconds`,
 * and the CLI's bar and the app show that number as it is.
 */
import type { ProgressEvent, ProgressSink } from './progress';
import type { Seconds } from './units';

/** What `remainingSeconds` needs to know about a run in progress. */
export interface RunPace {
  /** Units of work (steps, files) done in the `elapsedSeconds` measured. */
  unitsDone: number;
  /** Units of work still to do before the run ends. */
  unitsLeft: number;
  /** Wall-clock seconds the `unitsDone` took, everything in between (validations, writes) included. */
  elapsedSeconds: Seconds;
  /** The run's time limit, when it has one. */
  timeLimitSeconds?: Seconds;
  /** Seconds of the time limit already used, earlier sessions included (default `elapsedSeconds`). */
  limitUsedSeconds?: Seconds;
}

/**
 * Seconds until the run ends: the units left at the run's pace so far, or the time limit's
 * remainder when that comes first. Undefined while the pace is unknown (nothing done yet) and no
 * time limit bounds it.
 */
export function remainingSeconds(pace: RunPace): Seconds | undefined {
  const bySteps =
    pace.unitsDone > 0 && Number.isFinite(pace.elapsedSeconds) && pace.elapsedSeconds > 0
      ? (Math.max(0, pace.unitsLeft) * pace.elapsedSeconds) / pace.unitsDone
      : undefined;
  if (pace.timeLimitSeconds === undefined) return bySteps;
  const byTime = Math.max(0, pace.timeLimitSeconds - (pace.limitUsedSeconds ?? pace.elapsedSeconds));
  return bySteps === undefined ? byTime : Math.min(bySteps, byTime);
}

/**
 * Follows one stream of progress events and estimates each stage's time left from its pace since
 * the stage's first event (a new stage name, or a count that goes back, starts it again).
 */
export class StagePace {
  private stage: string | undefined;
  private startSeconds = 0;
  private startDone = 0;
  private lastDone = 0;

  /** Seconds left in `event`'s stage seen at `nowSeconds`, or undefined without a total or a pace yet. */
  observe(event: Pick<ProgressEvent, 'stage' | 'done' | 'total'>, nowSeconds: Seconds): Seconds | undefined {
    if (event.stage !== this.stage || event.done < this.lastDone) {
      this.stage = event.stage;
      this.startSeconds = nowSeconds;
      this.startDone = event.done;
    }
    this.lastDone = event.done;
    if (event.total === undefined) return undefined;
    return remainingSeconds({
      unitsDone: event.done - this.startDone,
      unitsLeft: event.total - event.done,
      elapsedSeconds: nowSeconds - this.startSeconds,
    });
  }
}

/**
 * A sink that passes every event on to `sink` with `remainingSeconds` set: the stage's own when it
 * reports one (training reports the whole run's), else `StagePace`'s. `nowSeconds` is the clock.
 */
export function withRemainingSeconds(
  sink: ProgressSink,
  nowSeconds: () => Seconds = () => performance.now() / 1000,
): ProgressSink {
  const pace = new StagePace();
  return (event) => {
    const estimate = pace.observe(event, nowSeconds());
    if (event.remainingSeconds !== undefined || estimate === undefined) sink(event);
    else sink({ ...event, remainingSeconds: estimate });
  };
}

/**
 * What the UI keeps of each job, and the pure steps that fold pushed events into it. The reactive
 * `JobsState` (state/jobs.svelte.ts) only stores what these return.
 */
import type { JobEvent, JobInfo } from '../../../../api/schemas';
import type { Seconds } from '../../../../core/common/units';

/** One progress report of a job, as kept for display. */
export interface JobProgress {
  stage: string;
  done: number;
  total?: number;
  message?: string;
  metrics?: Record<string, number>;
}

/** One metrics sample, kept for live charts. */
export interface MetricSample {
  /** The progress count when it arrived (steps within an epoch for training). */
  done: number;
  /** Which stage reported it (e.g. 'epoch 2/5'). */
  stage: string;
  /** The numbers reported. */
  metrics: Record<string, number>;
}

/** What the UI knows of one job. */
export interface JobView {
  info: JobInfo;
  progress?: JobProgress;
  /** Seconds left, as the job last reported them (`remainingSeconds`), when known. */
  etaSeconds?: Seconds;
  /** Every metrics sample so far, oldest first (appended in place; watch `JobsState.version`). */
  samples: MetricSample[];
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** True when the job has ended (succeeded, failed or was cancelled). */
export function isFinished(info: JobInfo): boolean {
  return TERMINAL.has(info.state);
}

/**
 * The job after a progress event. Its ETA is the event's `remainingSeconds`, which the backend
 * computes once (core/common/eta.ts); none is estimated here. Progress that arrives before the
 * job's first state event is kept under a placeholder until that event comes.
 */
export function withProgress(
  current: JobView | undefined,
  event: Extract<JobEvent, { type: 'progress' }>,
  nowIso: string,
): JobView {
  const progress: JobProgress = { stage: event.stage, done: event.done, total: event.total, message: event.message, metrics: event.metrics };
  const samples = current?.samples ?? [];
  if (event.metrics && Object.keys(event.metrics).length > 0) samples.push({ done: event.done, stage: event.stage, metrics: event.metrics });
  const etaSeconds = event.remainingSeconds;
  const info: JobInfo = current?.info ?? { id: event.jobId, kind: 'import', state: 'running', params: {}, createdAt: nowIso };
  return { info, progress, etaSeconds, samples };
}

/** The job after a state event: its info replaced, progress and samples kept, no ETA once it has ended. */
export function withInfo(current: JobView | undefined, info: JobInfo): JobView {
  return {
    info,
    progress: info.progress ?? current?.progress,
    etaSeconds: isFinished(info) ? undefined : current?.etaSeconds,
    samples: current?.samples ?? [],
  };
}

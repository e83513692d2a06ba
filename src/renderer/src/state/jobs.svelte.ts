/**
 * Live view of the backend's jobs: the latest info and progress of each, an ETA, and the metric
 * history a chart needs. Fed by the api's pushed `JobEvent`s; `wait(jobId)` resolves when a job ends.
 */
import type { Api } from '../../../api/contract';
import type { JobEvent, JobInfo, JobKind } from '../../../api/schemas';
import { EtaEstimator } from '../lib/format/eta';

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
  /** The progress count when it arrived (steps for training). */
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
  /** Estimated seconds left, when known. */
  etaSeconds?: number;
  /** Every metrics sample so far (not reactive per item; watch `JobsState.version`). */
  samples: MetricSample[];
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** True when the job has ended (succeeded, failed or was cancelled). */
export function isFinished(info: JobInfo): boolean {
  return TERMINAL.has(info.state);
}

/** All jobs the page has seen, kept current from pushed events. */
export class JobsState {
  /** Jobs by id; replaced (not mutated) on every change so views update. */
  jobs = $state.raw<Record<string, JobView>>({});
  /** Bumped on every event, for views that read `samples`. */
  version = $state(0);

  // Bookkeeping the views never read, so plain (non-reactive) maps.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly etas = new Map<string, EtaEstimator>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly waiters = new Map<string, Array<(info: JobInfo) => void>>();
  private api: Api | null = null;

  /** Starts listening to `api`'s events and loads recent history; returns the unsubscribe function. */
  attach(api: Api): () => void {
    this.api = api;
    const off = api.onEvent((event) => this.handle(event));
    void api.jobs.list({ limit: 50 }).then(
      ({ jobs }) => {
        for (const info of jobs) if (!this.jobs[info.id]) this.upsert(info);
      },
      () => {},
    );
    return off;
  }

  /** Applies one pushed event. */
  handle(event: JobEvent): void {
    if (event.type === 'job') {
      this.upsert(event.job);
      return;
    }
    const current = this.jobs[event.jobId];
    const progress: JobProgress = { stage: event.stage, done: event.done, total: event.total, message: event.message, metrics: event.metrics };
    let eta = this.etas.get(event.jobId);
    if (!eta) this.etas.set(event.jobId, (eta = new EtaEstimator()));
    eta.update(event.done, performance.now() / 1000);
    const samples = current?.samples ?? [];
    if (event.metrics && Object.keys(event.metrics).length > 0) samples.push({ done: event.done, stage: event.stage, metrics: event.metrics });
    // Progress can arrive before the job's first state event; a placeholder keeps it until then.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const createdAt = new Date().toISOString();
    const info: JobInfo = current?.info ?? { id: event.jobId, kind: 'import', state: 'running', params: {}, createdAt };
    // A stage that knows its own time left (training does) beats an estimate from the counts.
    const reported = event.metrics?.etaSeconds;
    const etaSeconds = typeof reported === 'number' && Number.isFinite(reported) ? reported : eta.remainingSeconds(event.total);
    this.jobs = { ...this.jobs, [event.jobId]: { info, progress, etaSeconds, samples } };
    this.version++;
  }

  /** The newest job of `kind`, if any. */
  latest(kind: JobKind): JobView | undefined {
    let best: JobView | undefined;
    for (const j of Object.values(this.jobs)) {
      if (j.info.kind !== kind) continue;
      if (!best || j.info.createdAt > best.info.createdAt) best = j;
    }
    return best;
  }

  /** Resolves with the job's final info once it has ended (at once when it already has). */
  wait(jobId: string): Promise<JobInfo> {
    const known = this.jobs[jobId];
    if (known && isFinished(known.info)) return Promise.resolve(known.info);
    const promise = new Promise<JobInfo>((resolve) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push(resolve);
      this.waiters.set(jobId, list);
    });
    // The job may have ended between starting it and listening: ask once.
    void this.api?.jobs.get({ jobId }).then(
      (info) => this.upsert(info),
      () => {},
    );
    return promise;
  }

  private upsert(info: JobInfo): void {
    const current = this.jobs[info.id];
    // Keep the newest progress; a job event carries its own last progress too.
    const progress = info.progress ?? current?.progress;
    this.jobs = {
      ...this.jobs,
      [info.id]: { info, progress, etaSeconds: isFinished(info) ? undefined : current?.etaSeconds, samples: current?.samples ?? [] },
    };
    this.version++;
    if (isFinished(info)) {
      const list = this.waiters.get(info.id);
      this.waiters.delete(info.id);
      for (const resolve of list ?? []) resolve(info);
    }
  }
}

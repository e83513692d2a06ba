/**
 * Live view of the backend's jobs: the latest info and progress of each (with the time left the backend reports), and the metric
 * history a chart needs. Fed by the api's pushed `JobEvent`s; `wait(jobId)` resolves when a job ends.
 */
import type { Api } from '../../../api/contract';
import type { JobEvent, JobInfo, JobKind } from '../../../api/schemas';
import { isFinished, withInfo, withProgress, type JobView } from '../lib/jobs/jobView';

export { isFinished, type JobProgress, type JobView, type MetricSample } from '../lib/jobs/jobView';

/** All jobs the page has seen, kept current from pushed events. */
export class JobsState {
  /** Jobs by id; replaced (not mutated) on every change so views update. */
  jobs = $state.raw<Record<string, JobView>>({});
  /** Bumped on every event, for views that read `samples`. */
  version = $state(0);

  // Bookkeeping the views never read, so plain (non-reactive) maps.
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
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a timestamp, not state
    const nowIso = new Date().toISOString();
    const view = withProgress(this.jobs[event.jobId], event, nowIso);
    this.jobs = { ...this.jobs, [event.jobId]: view };
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
    this.jobs = { ...this.jobs, [info.id]: withInfo(this.jobs[info.id], info) };
    this.version++;
    if (isFinished(info)) {
      const list = this.waiters.get(info.id);
      this.waiters.delete(info.id);
      for (const resolve of list ?? []) resolve(info);
    }
  }
}

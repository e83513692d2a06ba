/**
 * The job manager: starts each job in its own worker thread (so the process that serves the UI
 * never blocks), forwards throttled progress as events, cancels at the next safe point (and
 * terminates a worker that ignores it), deletes a job's staging folder when it ends, and keeps
 * the history in memory and in `<dataDir>/jobs.json` (written atomically).
 * Scheduling: `exclusiveKinds` (training) run one at a time and a second one is refused; every
 * other kind waits in one queue and runs one at a time beside them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { CancelledError, JobError, serializeError, type SerializedError } from '../../common/errors';
import { readJson, writeJsonAtomic } from '../fs/atomic';
import type { JobManagerEvent, JobRecord, ManagerMessage, WorkerJob, WorkerMessage } from './types';
import { startWorker } from '../workers/start';

/** How to build a manager. */
export interface JobManagerOptions {
  /** The data folder; the history lives in `<dataDir>/jobs.json`, staging in `<dataDir>/tmp/jobs`. */
  dataDir: string;
  /** The worker entry (a bundled .js file, or a .ts file when running from sources through tsx). */
  workerEntry: string | URL;
  /** Kinds that run alone; starting one while another runs is refused (default: `train`). */
  exclusiveKinds?: string[];
  /** Minimum milliseconds between two progress events of one job (stage changes and completions pass). */
  throttleMs?: number;
  /** Milliseconds a cancelled worker gets to stop on its own before it is terminated. */
  cancelGraceMs?: number;
  /** Finished jobs kept in the history. */
  historyLimit?: number;
  /** Jobs that may wait in the queue at once; one more is refused (default 32). */
  maxQueued?: number;
  /** Values handed to every runner as `context.env` (settings, allowed paths…); read at each start. */
  env?: () => Record<string, unknown>;
}

interface Running {
  worker: Worker;
  cancelFlag: Int32Array;
  cancelRequested: boolean;
  killTimer?: ReturnType<typeof setTimeout>;
}

const HISTORY_FILE = 'jobs.json';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

function now(): string {
  return new Date().toISOString();
}

/** Runs jobs in worker threads and keeps their history. Build with `JobManager.open`. */
export class JobManager {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly running = new Map<string, Running>();
  private readonly queue: string[] = [];
  private readonly listeners = new Set<(event: JobManagerEvent) => void>();
  private readonly waiters = new Map<string, Array<(job: JobRecord) => void>>();
  private readonly seqs = new Map<string, number>();
  private eventSeq = 0;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly exclusive: Set<string>;
  private readonly throttleMs: number;
  private readonly cancelGraceMs: number;
  private readonly historyLimit: number;
  private readonly maxQueued: number;

  private constructor(private readonly options: JobManagerOptions) {
    this.exclusive = new Set(options.exclusiveKinds ?? ['train']);
    this.throttleMs = options.throttleMs ?? 100;
    this.cancelGraceMs = options.cancelGraceMs ?? 20_000;
    this.historyLimit = options.historyLimit ?? 500;
    this.maxQueued = options.maxQueued ?? 32;
  }

  /** Loads the history (jobs a previous process left running are marked failed) and clears stale staging. */
  static async open(options: JobManagerOptions): Promise<JobManager> {
    const manager = new JobManager(options);
    const file = path.join(options.dataDir, HISTORY_FILE);
    if (existsSync(file)) {
      const data = await readJson<{ jobs?: JobRecord[] }>(file).catch(() => ({ jobs: [] }));
      for (const job of Array.isArray(data.jobs) ? data.jobs : []) {
        if (!job || typeof job.id !== 'string') continue;
        if (!TERMINAL.has(job.state)) {
          job.state = 'failed';
          job.endedAt = job.endedAt ?? now();
          job.error = serializeError(new JobError('The job was interrupted because the app closed while it ran.'));
        }
        manager.jobs.set(job.id, job);
      }
    }
    await fs.rm(path.join(options.dataDir, 'tmp', 'jobs'), { recursive: true, force: true });
    return manager;
  }

  /** Listens to job events; returns the function that stops listening. */
  onEvent(listener: (event: JobManagerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queues a job (or starts it at once when its lane is free) and answers its record. */
  start(kind: string, params: unknown): JobRecord {
    if (this.closed) throw new JobError('The job manager is shut down; no new jobs can start.');
    if (this.queue.length >= this.maxQueued)
      throw new JobError(`${this.queue.length} jobs are already waiting; wait for some to finish or cancel them before starting more.`, { field: 'kind' });
    if (this.exclusive.has(kind)) {
      const other = [...this.jobs.values()].find((j) => j.kind === kind && !TERMINAL.has(j.state));
      if (other) throw new JobError(`A ${kind} job is already running (${other.id}); cancel it or wait until it ends.`, { field: 'kind' });
    }
    const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const job: JobRecord = { id, kind, state: 'queued', params, createdAt: now() };
    this.jobs.set(id, job);
    this.emitJob(job);
    if (this.exclusive.has(kind)) this.launch(job);
    else {
      this.queue.push(id);
      this.pump();
    }
    this.persist();
    return { ...job };
  }

  /** Asks a job to stop. Queued jobs are cancelled at once; running ones at their next safe point. */
  cancel(jobId: string): JobRecord {
    const job = this.require(jobId);
    if (job.state === 'queued') {
      this.queue.splice(this.queue.indexOf(jobId), 1);
      this.finish(job, 'cancelled', undefined, serializeError(new CancelledError()));
    } else if (job.state === 'running') {
      const run = this.running.get(jobId);
      if (run && !run.cancelRequested) {
        run.cancelRequested = true;
        Atomics.store(run.cancelFlag, 0, 1);
        run.worker.postMessage({ type: 'cancel' } satisfies ManagerMessage);
        // A runner stuck in native code or a long synchronous step never sees the signal.
        run.killTimer = setTimeout(() => void run.worker.terminate(), this.cancelGraceMs);
      }
    }
    return { ...job };
  }

  /** One job's record; throws `JobError` naming the id when there is none. */
  get(jobId: string): JobRecord {
    return { ...this.require(jobId) };
  }

  /** The history, newest first. */
  list(limit = 100): JobRecord[] {
    return [...this.jobs.values()]
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.id.localeCompare(a.id)))
      .slice(0, limit)
      .map((j) => ({ ...j }));
  }

  /** Resolves with the job's final record once it has ended. */
  waitFor(jobId: string): Promise<JobRecord> {
    const job = this.require(jobId);
    if (TERMINAL.has(job.state)) return Promise.resolve({ ...job });
    return new Promise((resolve) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push(resolve);
      this.waiters.set(jobId, list);
    });
  }

  /**
   * Cancels everything, waits for the workers to end and for the history to be written. A worker
   * still running `graceMs` after its cancel (default: the manager's cancel grace) is terminated.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.closed = true;
    for (const id of [...this.queue]) this.cancel(id);
    const ends = [...this.running.keys()].map((id) => this.waitFor(id));
    for (const id of this.running.keys()) this.cancel(id);
    if (options.graceMs !== undefined) {
      for (const run of this.running.values()) {
        if (run.killTimer) clearTimeout(run.killTimer);
        run.killTimer = setTimeout(() => void run.worker.terminate(), options.graceMs);
      }
    }
    await Promise.all(ends);
    await this.saving;
  }

  private require(jobId: string): JobRecord {
    const job = this.jobs.get(jobId);
    if (!job) throw new JobError(`There is no job with id ${jobId}.`, { field: 'jobId' });
    return job;
  }

  private pump(): void {
    const busy = [...this.running.keys()].some((id) => !this.exclusive.has(this.jobs.get(id)!.kind));
    if (busy || this.closed) return;
    const next = this.queue.shift();
    if (next) this.launch(this.jobs.get(next)!);
  }

  private stagingDir(jobId: string): string {
    return path.join(this.options.dataDir, 'tmp', 'jobs', jobId);
  }

  private launch(job: JobRecord): void {
    job.state = 'running';
    job.startedAt = now();
    const entry = this.options.workerEntry;
    const entryUrl = entry instanceof URL ? entry : pathToFileURL(entry);
    const data: WorkerJob = {
      jobId: job.id,
      kind: job.kind,
      params: job.params,
      dataDir: this.options.dataDir,
      stagingDir: this.stagingDir(job.id),
      env: this.options.env?.() ?? {},
      throttleMs: this.throttleMs,
      cancelFlag: new SharedArrayBuffer(4),
    };
    let worker: Worker;
    try {
      worker = startWorker(entryUrl, { workerData: data });
    } catch (error) {
      this.finish(job, 'failed', undefined, serializeError(new JobError(`Could not start a worker thread: ${(error as Error).message}.`)));
      return;
    }
    const run: Running = { worker, cancelFlag: new Int32Array(data.cancelFlag), cancelRequested: false };
    this.running.set(job.id, run);
    this.emitJob(job);
    this.persist();
    let outcome: { state: 'succeeded' | 'failed' | 'cancelled'; result?: unknown; error?: SerializedError } | undefined;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        job.progress = m.event;
        const seq = this.seqs.get(job.id) ?? 0;
        this.seqs.set(job.id, seq + 1);
        this.emit({ type: 'progress', jobId: job.id, seq, ...m.event });
      } else if (m.type === 'done') outcome = { state: 'succeeded', result: m.result };
      else if (m.type === 'failed') outcome = { state: m.error.code === 'CANCELLED' ? 'cancelled' : 'failed', error: m.error };
    });
    worker.on('error', (error) => {
      outcome ??= { state: 'failed', error: serializeError(error) };
    });
    worker.on('exit', (code) => {
      if (run.killTimer) clearTimeout(run.killTimer);
      this.running.delete(job.id);
      if (!outcome) {
        outcome = run.cancelRequested
          ? { state: 'cancelled', error: serializeError(new CancelledError()) }
          : { state: 'failed', error: serializeError(new JobError(`The ${job.kind} job's worker stopped unexpectedly (exit code ${code}).`)) };
      }
      const final = outcome;
      // Outputs under construction go, whatever the outcome: finished ones were moved out already.
      void fs
        .rm(this.stagingDir(job.id), { recursive: true, force: true })
        .catch(() => {})
        .then(() => {
          this.finish(job, final.state, final.result, final.error);
          this.pump();
        });
    });
  }

  private finish(job: JobRecord, state: 'succeeded' | 'failed' | 'cancelled', result: unknown, error: SerializedError | undefined): void {
    job.state = state;
    job.endedAt = now();
    if (result !== undefined) job.result = result;
    if (error !== undefined) job.error = error;
    this.seqs.delete(job.id);
    this.emitJob(job);
    this.trimHistory();
    this.persist();
    const waiters = this.waiters.get(job.id) ?? [];
    this.waiters.delete(job.id);
    for (const w of waiters) w({ ...job });
  }

  private trimHistory(): void {
    const finished = [...this.jobs.values()].filter((j) => TERMINAL.has(j.state)).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    while (finished.length > this.historyLimit) this.jobs.delete(finished.shift()!.id);
  }

  private emitJob(job: JobRecord): void {
    this.emit({ type: 'job', seq: this.eventSeq++, job: { ...job } });
  }

  private emit(event: JobManagerEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A failing listener (a closed socket) must not stop the others or the job.
      }
    }
  }

  private persist(): void {
    const file = path.join(this.options.dataDir, HISTORY_FILE);
    // Writes are chained so an older snapshot never lands after a newer one.
    this.saving = this.saving
      .then(() => writeJsonAtomic(file, { version: 1, jobs: this.list(this.historyLimit + 100) }))
      .catch(() => {});
  }
}

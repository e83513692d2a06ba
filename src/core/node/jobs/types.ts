/**
 * Jobs: long work (import, preprocess, train, generate, render…) that runs in a worker thread,
 * reports progress, can be cancelled, and is kept in a history. These are the shapes the job
 * system uses; `src/api/schemas.ts` describes the same data for the UI.
 */
import type { SerializedError } from '../../common/errors';
import type { ProgressEvent, ProgressSink } from '../../common/progress';

/** Where a job is in its life. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One job in the history (persisted in `<dataDir>/jobs.json`). */
export interface JobRecord {
  id: string;
  kind: string;
  state: JobState;
  /** The validated request that started it. */
  params: unknown;
  /** ISO time it was asked for. */
  createdAt: string;
  /** ISO time its worker started. */
  startedAt?: string;
  /** ISO time it ended (succeeded, failed or cancelled). */
  endedAt?: string;
  /** The last progress report. */
  progress?: ProgressEvent;
  /** What the runner answered. */
  result?: unknown;
  /** Why it failed or that it was cancelled. */
  error?: SerializedError;
}

/** Events the manager emits: throttled progress, and every change of a job's state. */
export type JobManagerEvent =
  | ({ type: 'progress'; jobId: string; seq: number } & ProgressEvent)
  | { type: 'job'; seq: number; job: JobRecord };

/** What a runner gets besides its params. */
export interface JobContext {
  jobId: string;
  /** The data folder the backend serves. */
  dataDir: string;
  /**
   * A private folder (created on demand by the runner) for outputs under construction; the
   * manager deletes it when the job ends, so a cancelled or failed job leaves nothing behind.
   * Runners move finished outputs out of it (a rename, so they appear whole).
   */
  stagingDir: string;
  /** Extra values the backend passes to every job (settings, allowed paths…). */
  env: Record<string, unknown>;
  /** Progress; throttled before it leaves the worker. */
  onProgress: ProgressSink;
  /** Aborted when the job is cancelled; runners pass it to core functions. */
  signal: AbortSignal;
}

/** Runs one kind of job inside a worker thread and answers its result (plain, cloneable data). */
export type JobRunner = (params: unknown, context: JobContext) => Promise<unknown>;

/** What the manager hands a worker thread through `workerData`. */
export interface WorkerJob {
  jobId: string;
  kind: string;
  params: unknown;
  dataDir: string;
  stagingDir: string;
  env: Record<string, unknown>;
  throttleMs: number;
  /**
   * One Int32 set to 1 by the manager on cancel. Read by the signal's `aborted` getter, so a
   * runner that never yields to the event loop (a chain of resolved promises) still sees it.
   */
  cancelFlag: SharedArrayBuffer;
}

/** Messages from a worker to the manager. */
export type WorkerMessage =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; error: SerializedError };

/** Messages from the manager to a worker. */
export type ManagerMessage = { type: 'cancel' };

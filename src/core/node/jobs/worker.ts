/**
 * The inside of a job's worker thread: runs the runner named by `workerData.kind` with progress
 * forwarded (throttled) to the manager and an AbortSignal the manager's `cancel` message aborts.
 * An app's worker entry file imports its runners statically and calls `runJobInWorker(runners)`,
 * so bundlers (electron-vite) see every module the worker needs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { withRemainingSeconds } from '../../common/eta';
import { JobError, serializeError } from '../../common/errors';
import { throttleProgress } from './throttle';
import type { JobRunner, ManagerMessage, WorkerJob, WorkerMessage } from './types';

/**
 * An AbortController whose signal also reads the shared cancel flag whenever `aborted` is asked:
 * the manager's 'cancel' message only arrives when the event loop turns, and a runner awaiting
 * already-resolved promises (model calls on wasm) may not let it turn for a long time.
 */
export function cancellableByFlag(flag: Int32Array): AbortController {
  const controller = new AbortController();
  const signal = controller.signal;
  const abortedOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;
  Object.defineProperty(signal, 'aborted', {
    get(): boolean {
      if (!abortedOf.call(signal) && Atomics.load(flag, 0) === 1) controller.abort();
      return abortedOf.call(signal) as boolean;
    },
  });
  return controller;
}

/** Runs the job this worker thread was started for, then lets the thread end. */
export async function runJobInWorker(runners: Record<string, JobRunner>): Promise<void> {
  const port = parentPort;
  if (!port) throw new JobError('runJobInWorker must run inside a worker thread.');
  const job = workerData as WorkerJob;
  const controller = cancellableByFlag(new Int32Array(job.cancelFlag));
  const post = (message: WorkerMessage): void => port.postMessage(message);
  port.on('message', (m: ManagerMessage) => {
    if (m?.type === 'cancel') controller.abort();
  });
  const progress = throttleProgress((event) => post({ type: 'progress', event }), job.throttleMs);
  try {
    const runner = Object.hasOwn(runners, job.kind) ? runners[job.kind] : undefined;
    if (!runner) throw new JobError(`There is no job of kind "${job.kind}".`, { field: 'kind' });
    const result = await runner(job.params, {
      jobId: job.jobId,
      dataDir: job.dataDir,
      stagingDir: job.stagingDir,
      env: job.env,
      // Every event leaves with its time left (core/common/eta.ts), so the UI never estimates again.
      onProgress: withRemainingSeconds(progress),
      signal: controller.signal,
    });
    progress.flush();
    post({ type: 'done', result });
  } catch (error) {
    progress.flush();
    post({ type: 'failed', error: serializeError(error) });
  } finally {
    // The port keeps the thread alive; closing it lets the worker exit once the runner is done.
    port.close();
  }
}

/**
 * Parallel rendering: a pool of worker threads, each with its own synthesizer and SoundFont,
 * fed one file at a time, so a batch uses every core. Each worker loads the SoundFont once.
 */
import type { Worker } from 'node:worker_threads';
import { CancelledError, deserializeError, type SerializedError } from '../../common/errors';
import type { EngineName } from './backend';
import type { RenderResult } from './renderer';
import type { RenderWorkerData } from './renderWorker';
import { isTypeScriptSource, startWorker } from '../workers/start';

/** A message to a worker. */
export type WorkerRequest =
  | { type: 'render'; index: number; midiPath: string; wavPath: string }
  | { type: 'cancel' }
  | { type: 'close' };

/** A message from a worker. */
export type WorkerReply =
  | { type: 'ready'; engine: EngineName; engineVersion: string; fallbackReason?: string }
  | { type: 'done'; index: number; result: RenderResult }
  | { type: 'failed'; index: number; error: SerializedError }
  | { type: 'fatal'; error: SerializedError };

/** One file's outcome, by its index in the batch. */
export type PoolOutcome = { index: number; result: RenderResult } | { index: number; error: SerializedError };

/** What the workers said about their engine (all workers run the same one). */
export interface PoolEngine {
  engine: EngineName;
  engineVersion: string;
  fallbackReason?: string;
}

/** The render worker's module; null in a bundled build (it is not bundled), where the caller renders in this thread. */
function workerModule(): URL | null {
  const module = new URL('./renderWorker.ts', import.meta.url);
  return isTypeScriptSource(module) ? module : null;
}

/**
 * Renders `jobs` on `workers` threads, calling `onOutcome` as each file finishes. Resolves with the
 * engine the workers used, or null when workers cannot run here (nothing was rendered then).
 * Throws the first worker's fatal error (e.g. a SoundFont it cannot load) and `CancelledError`
 * when `signal` aborts (files in flight are abandoned without leaving partial files).
 */
export async function renderInWorkers(
  jobs: ReadonlyArray<{ midiPath: string; wavPath: string }>,
  workers: number,
  data: RenderWorkerData,
  onOutcome: (outcome: PoolOutcome) => void,
  signal?: AbortSignal,
): Promise<PoolEngine | null> {
  const entry = workerModule();
  if (!entry) return null;
  const pool: Worker[] = [];
  let next = 0;
  let finished = 0;
  let inFlight = 0;
  let cancelling = false;
  let engine: PoolEngine | null = null;
  try {
    return await new Promise<PoolEngine | null>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const feed = (worker: Worker): void => {
        if (next >= jobs.length || cancelling) return;
        const index = next++;
        inFlight++;
        worker.postMessage({ type: 'render', index, ...jobs[index]! } satisfies WorkerRequest);
      };
      const onAbort = (): void => {
        cancelling = true;
        for (const worker of pool) worker.postMessage({ type: 'cancel' } satisfies WorkerRequest);
        // Wait for files in flight to stop (each at its next check, within about a second of audio),
        // so no worker is terminated halfway through writing a file.
        if (inFlight === 0) fail(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      for (let i = 0; i < Math.min(workers, jobs.length); i++) {
        const worker = startWorker(entry, { workerData: data });
        pool.push(worker);
        worker.on('error', (error) => fail(error));
        worker.on('message', (reply: WorkerReply) => {
          if (reply.type === 'fatal') return fail(deserializeError(reply.error));
          if (reply.type === 'ready') {
            engine ??= {
              engine: reply.engine,
              engineVersion: reply.engineVersion,
              ...(reply.fallbackReason ? { fallbackReason: reply.fallbackReason } : {}),
            };
            return feed(worker);
          }
          inFlight--;
          if (settled) return;
          if (cancelling) {
            if (inFlight === 0) fail(new CancelledError());
            return;
          }
          try {
            onOutcome(
              reply.type === 'done'
                ? { index: reply.index, result: reply.result }
                : { index: reply.index, error: reply.error },
            );
          } catch (error) {
            // The caller found the error fatal (not a per-file problem): stop the pool with it.
            return fail(error as Error);
          }
          finished++;
          if (finished === jobs.length) {
            settled = true;
            signal?.removeEventListener('abort', onAbort);
            resolve(engine);
          } else feed(worker);
        });
      }
      if (signal?.aborted) onAbort();
    });
  } finally {
    // Give each worker the chance to free its synthesizer, then make sure it is gone.
    await Promise.all(
      pool.map(async (worker) => {
        worker.postMessage({ type: 'close' } satisfies WorkerRequest);
        await worker.terminate();
      }),
    );
  }
}

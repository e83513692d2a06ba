/**
 * Parallel rendering: a pool of worker threads, each with its own synthesizer and SoundFont,
 * fed one file at a time, so a batch uses every core; the calling thread can render beside them
 * (one thread and one SoundFont fewer to start). Each renderer loads the SoundFont once.
 */
import type { Worker } from 'node:worker_threads';
import { CancelledError, deserializeError, serializeError, type SerializedError } from '../../common/errors';
import type { EngineName } from './backend';
import type { RenderWorkerData, WorkerReply, WorkerRequest } from './protocol';
import type { Renderer, RenderFileOptions, RenderResult } from './render';
import { isTypeScriptSource, startWorker } from '../workers/start';

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

/** A renderer in the calling thread that takes files from the pool beside its workers. */
export interface LocalRenderer {
  /** Makes the renderer (it is disposed when the pool is done). */
  create: () => Promise<Renderer>;
  /** How it writes each file. */
  fileOptions: RenderFileOptions;
}

/**
 * Renders `jobs`, in their order, on `workers` threads and, with `local`, in this thread too,
 * calling `onOutcome` as each file finishes. Resolves with the engine used, or null when workers
 * cannot run here (nothing was rendered then). Throws the first fatal error (e.g. a SoundFont a
 * renderer cannot load) and `CancelledError` when `signal` aborts (files in flight are
 * abandoned without leaving partial files).
 */
export async function renderInWorkers(
  jobs: ReadonlyArray<{ midiPath: string; wavPath: string }>,
  workers: number,
  data: RenderWorkerData,
  onOutcome: (outcome: PoolOutcome) => void,
  signal?: AbortSignal,
  local?: LocalRenderer,
): Promise<PoolEngine | null> {
  const entry = workerModule();
  if (!entry) return null;
  const pool: Worker[] = [];
  // Stops the local renderer's file in flight: on the caller's cancel, and when the pool fails.
  const localStop = new AbortController();
  let localDone: Promise<void> = Promise.resolve();
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
      const finish = (outcome: PoolOutcome): boolean => {
        try {
          onOutcome(outcome);
        } catch (error) {
          // The caller found the error fatal (not a per-file problem): stop the pool with it.
          fail(error as Error);
          return false;
        }
        finished++;
        if (finished === jobs.length) {
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(engine);
          return false;
        }
        return true;
      };
      const onAbort = (): void => {
        cancelling = true;
        localStop.abort();
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
          if (
            finish(
              reply.type === 'done'
                ? { index: reply.index, result: reply.result }
                : { index: reply.index, error: reply.error },
            )
          )
            feed(worker);
        });
      }
      if (local)
        localDone = (async () => {
          let renderer: Renderer;
          try {
            renderer = await local.create();
          } catch (error) {
            return fail(error as Error);
          }
          engine ??= {
            engine: renderer.engine,
            engineVersion: renderer.engineVersion,
            ...(renderer.fallbackReason ? { fallbackReason: renderer.fallbackReason } : {}),
          };
          try {
            while (!settled && !cancelling && next < jobs.length) {
              const index = next++;
              inFlight++;
              let outcome: PoolOutcome;
              try {
                const { midiPath, wavPath } = jobs[index]!;
                const result = await renderer.renderFile(midiPath, wavPath, local.fileOptions, {
                  signal: localStop.signal,
                });
                outcome = { index, result };
              } catch (error) {
                outcome = { index, error: serializeError(error) };
              }
              inFlight--;
              if (settled) return;
              if (cancelling) {
                if (inFlight === 0) fail(new CancelledError());
                return;
              }
              if (!finish(outcome)) return;
            }
          } finally {
            renderer.dispose();
          }
        })();
      if (signal?.aborted) onAbort();
    });
  } finally {
    localStop.abort();
    await localDone;
    // Give each worker the chance to free its synthesizer, then make sure it is gone.
    await Promise.all(
      pool.map(async (worker) => {
        worker.postMessage({ type: 'close' } satisfies WorkerRequest);
        await worker.terminate();
      }),
    );
  }
}

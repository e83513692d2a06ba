/**
 * The messages between the render pool (`pool.ts`) and its worker threads (`renderWorker.ts`).
 * In: `render` and `cancel`, then `close`; out: `ready`, `done` or `failed` per file, and `fatal`
 * when the worker's renderer could not start.
 */
import type { SerializedError } from '../../common/errors';
import type { EngineName } from './backend';
import type { RendererOptions, RenderFileOptions, RenderResult } from './render';

/** What the pool passes to a new worker. */
export interface RenderWorkerData {
  rendererOptions: RendererOptions;
  fileOptions: RenderFileOptions;
}

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

/**
 * Progress, after VS Code's `IProgress`: a plain callback every stage calls.
 * The CLI draws a bar from it, the app forwards it as job events.
 */
import type { Seconds } from './units';

/** One progress report from a running stage. */
export interface ProgressEvent {
  /** Which stage or sub-stage is running, e.g. 'import', 'epoch 3/20', 'render'. */
  stage: string;
  /** Units of work done so far (files, steps, events, seconds of audio). */
  done: number;
  /** Units of work in all, when known. */
  total?: number;
  /** A short human-readable line, e.g. the file being read. */
  message?: string;
  /** Numbers worth plotting live (loss, validation loss, targets per second…). */
  metrics?: Record<string, number>;
  /** Seconds until the run ends, from `remainingSeconds` in eta.ts (training: the whole run's, its time limit included). */
  remainingSeconds?: Seconds;
}

/** Receives progress reports; must be cheap, since stages may call it often. */
export type ProgressSink = (event: ProgressEvent) => void;

/** Options every long-running stage takes. */
export interface RunOptions {
  /** Called with progress as work goes on. */
  onProgress?: ProgressSink;
  /** Aborting it stops the work at the next safe point with `CancelledError`; nothing partial is kept. */
  signal?: AbortSignal;
}

/** A sink that does nothing, for callers that don't watch. */
export const ignoreProgress: ProgressSink = () => {};

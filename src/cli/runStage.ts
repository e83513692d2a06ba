/**
 * What every long command does around its core call: a progress bar on stderr, an abort signal
 * that the first Ctrl+C (or SIGTERM) trips so the stage stops at its next safe point, a second
 * Ctrl+C that quits at once, and the cleanup afterwards. A stage that stops for the signal fails
 * with one sentence saying what was kept (its own, when it says more than "cancelled").
 */
import { withRemainingSeconds } from '../core/common/eta';
import { CancelledError } from '../core/common/errors';
import type { ProgressSink } from '../core/common/progress';
import { progressBar, type GlobalOptions } from './output';

/** What a stage's work gets from `runStage`. */
export interface StageRun {
  /** Draws the progress bar (or the log lines off a terminal), with the stage's time left or, when it gives none, its pace's. */
  onProgress: ProgressSink;
  /** Tripped by the first Ctrl+C or SIGTERM. */
  signal: AbortSignal;
  /** Ends the bar's line, so a line written next starts on its own (the bar redraws on its next event). */
  endBarLine(): void;
}

/** The sentence of a `CancelledError` that says nothing of what was kept. */
const GENERIC_CANCEL = new CancelledError().message;

/** Exit code of a process ended by a second SIGINT or SIGTERM, as a shell reports it. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs `work` with a progress bar and a cancel signal. `kept` says what a cancel leaves behind,
 * as the end of a sentence (e.g. 'nothing was written'): it is said when the signal comes and in
 * the `CancelledError` the stage then fails with.
 */
export async function runStage<T>(
  options: GlobalOptions,
  kept: string,
  work: (run: StageRun) => Promise<T>,
): Promise<T> {
  const bar = progressBar(options);
  const controller = new AbortController();
  const now = (signal: NodeJS.Signals): void => process.exit(SIGNAL_EXIT[signal as keyof typeof SIGNAL_EXIT] ?? 1);
  const stop = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
    bar.finish();
    if (!options.quiet)
      process.stderr.write(`cadenza: ${signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl+C'}: stopping at the next safe point (${kept}); Ctrl+C again quits at once.\n`);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await work({ onProgress: withRemainingSeconds(bar), signal: controller.signal, endBarLine: () => bar.finish() });
  } catch (error) {
    // A stage's own cancel sentence says more (training names its checkpoint); the generic one is replaced.
    if (error instanceof CancelledError && controller.signal.aborted && error.message === GENERIC_CANCEL)
      throw new CancelledError(`Cancelled: ${kept}.`, { cause: error });
    throw error;
  } finally {
    bar.finish();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGINT', now);
    process.off('SIGTERM', now);
  }
}

/**
 * Progress throttling: stages may report thousands of times a second; the UI needs about ten.
 * Passes the first report, every change of stage, every completed count (`done >= total`), and
 * otherwise at most one report per interval; `flush()` sends the latest one that was held back.
 */
import type { ProgressEvent, ProgressSink } from '../../common/progress';

/** A sink that forwards to `sink` at most once per `intervalMs` (except stage changes and completions). */
export function throttleProgress(
  sink: ProgressSink,
  intervalMs = 100,
  now: () => number = Date.now,
): ProgressSink & { flush(): void } {
  let lastSentAt = -Infinity;
  let lastStage: string | undefined;
  let held: ProgressEvent | undefined;
  const send = (e: ProgressEvent): void => {
    held = undefined;
    lastSentAt = now();
    lastStage = e.stage;
    sink(e);
  };
  const throttled = ((e: ProgressEvent) => {
    const complete = e.total !== undefined && e.done >= e.total;
    if (e.stage !== lastStage || complete || now() - lastSentAt >= intervalMs) send(e);
    else held = e;
  }) as ProgressSink & { flush(): void };
  throttled.flush = () => {
    if (held) send(held);
  };
  return throttled;
}

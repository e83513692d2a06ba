/**
 * How the CLI talks: results to stdout (human text, or JSON with `--json`), progress and
 * errors to stderr. A progress bar with ETA is drawn only on a TTY; elsewhere a line every
 * few seconds, so logs stay readable.
 */
import type { ProgressEvent, ProgressSink } from '../core/common/progress';
import type { CadenzaError } from '../core/common/errors';
import { serializeError, UsageError } from '../core/common/errors';

/** Options every command shares. */
export interface GlobalOptions {
  /** Print machine-readable JSON to stdout instead of text. */
  json?: boolean;
  /** Print nothing but the result and errors. */
  quiet?: boolean;
}

/**
 * Makes a closed stdout (`cadenza corpus list | head`) end the process quietly with exit 0, as
 * Unix tools do: the reader has all it wanted. A closed stderr only silences progress and
 * warnings, so long work (training, rendering) still finishes and writes its files.
 */
export function exitQuietlyOnClosedPipe(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): void {
  const closed = (error: NodeJS.ErrnoException): boolean =>
    error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (closed(error)) process.exit(0);
    // Any other stream failure is a real fault; rethrowing keeps Node's default report.
    throw error;
  });
  stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (!closed(error)) throw error;
  });
}

/** Formats seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A progress sink that draws a bar on stderr (TTY) or logs a line now and then. The ETA it shows
 * is the event's `remainingSeconds` (core/common/eta.ts), never one of its own.
 */
export function progressBar(
  options: GlobalOptions,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressSink & {
  finish(): void;
} {
  const tty = Boolean(stream.isTTY) && !options.quiet;
  let stage = '';
  let stageStart = Date.now();
  let lastDraw = 0;
  let drawn = false;
  const draw = (e: ProgressEvent): void => {
    const now = Date.now();
    if (e.stage !== stage) {
      if (drawn && tty) stream.write('\n');
      stage = e.stage;
      stageStart = now;
      lastDraw = 0;
    }
    const interval = tty ? 100 : 5000;
    const complete = e.total !== undefined && e.done >= e.total;
    if (now - lastDraw < interval && !complete) return;
    lastDraw = now;
    const elapsed = (now - stageStart) / 1000;
    const fraction = e.total ? Math.min(1, e.done / e.total) : undefined;
    const shown = Object.entries(e.metrics ?? {});
    const metrics = shown.length
      ? ' ' + shown.map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`).join(' ')
      : '';
    const count = e.total !== undefined ? `${e.done}/${e.total}` : `${e.done}`;
    if (tty) {
      const width = 24;
      const bar =
        fraction === undefined
          ? ''
          : '[' + '#'.repeat(Math.round(fraction * width)).padEnd(width, '.') + '] ';
      const line = `${e.stage} ${bar}${count} ${formatDuration(elapsed)} eta ${formatDuration(e.remainingSeconds ?? NaN)}${metrics}${e.message ? ' ' + e.message : ''}`;
      const cols = stream.columns ?? 100;
      stream.write('\r\x1b[2K' + line.slice(0, cols - 1));
      drawn = true;
    } else if (!options.quiet && !options.json) {
      const etaText = e.remainingSeconds !== undefined ? ` eta ${formatDuration(e.remainingSeconds)}` : '';
      stream.write(
        `${e.stage}: ${count}${fraction !== undefined ? ` (${Math.round(fraction * 100)}%)` : ''}${etaText}${metrics}\n`,
      );
    }
  };
  const sink = draw as ProgressSink & { finish(): void };
  sink.finish = () => {
    if (drawn && tty) stream.write('\n');
    drawn = false;
  };
  return sink;
}

/** Prints a command's result: `value` as JSON with --json, else the text `human` gives. */
export function printResult<T>(options: GlobalOptions, value: T, human: (value: T) => string): void {
  if (options.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else {
    const text = human(value);
    if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
}

/** Prints an error as one sentence (or JSON) and returns the exit code: 2 for usage, 1 otherwise. */
export function reportError(error: unknown, options: GlobalOptions): number {
  const data = serializeError(error);
  if (options.json) process.stdout.write(JSON.stringify({ error: data }, null, 2) + '\n');
  process.stderr.write(`cadenza: ${data.message}\n`);
  if (data.code === 'INTERNAL' && process.env.CADENZA_DEBUG && error instanceof Error)
    process.stderr.write(`${error.stack}\n`);
  return error instanceof UsageError || (error as CadenzaError | undefined)?.code === 'USAGE' ? 2 : 1;
}

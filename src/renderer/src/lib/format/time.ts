/** Human-readable durations and clock times for the UI. */
import type { Seconds } from '../../../../core/common/units';

/** A clock position `m:ss` (or `h:mm:ss` past an hour); with `tenths`, `m:ss.t`. Negative or NaN reads as 0. */
export function formatClock(seconds: Seconds, tenths = false): string {
  const s = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  const whole = tenths ? Math.floor(s * 10) / 10 : Math.floor(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  const secText = tenths ? sec.toFixed(1).padStart(4, '0') : String(Math.floor(sec)).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${secText}` : `${m}:${secText}`;
}

/** A remaining time for progress lines: '12 s', '3 min 05 s', '1 h 20 min'; '' when unknown. */
export function formatEta(seconds: Seconds | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A byte count as '512 B', '3.4 KB', '12.0 MB'. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** A count with thousands separators: 12345 -> '12,345'. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

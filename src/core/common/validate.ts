/**
 * The checks of a number or a choice that every stage and every front end use, so a value out of
 * range reads the same from the CLI, the app and core: one sentence naming the field.
 */
import { UsageError } from './errors';

/** The bounds a number must keep. */
export interface NumberRange {
  /** Smallest value allowed. */
  min?: number;
  /** Largest value allowed. */
  max?: number;
  /** Whole numbers only. */
  integer?: boolean;
}

/** What `range` asks for in words, e.g. "a whole number from 1 to 64". */
export function describeRange(range: NumberRange): string {
  const kind = range.integer ? 'a whole number' : 'a number';
  if (range.min !== undefined && range.max !== undefined) return `${kind} from ${range.min} to ${range.max}`;
  if (range.min !== undefined) return `${kind} of at least ${range.min}`;
  if (range.max !== undefined) return `${kind} of at most ${range.max}`;
  return kind;
}

/** `value` as a number in `range`; throws `UsageError` naming `field` when it is not. */
export function checkNumber(field: string, value: unknown, range: NumberRange = {}): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (
    !Number.isFinite(n) ||
    (range.integer && !Number.isInteger(n)) ||
    (range.min !== undefined && n < range.min) ||
    (range.max !== undefined && n > range.max)
  )
    throw new UsageError(`${field} must be ${describeRange(range)}, not "${String(value)}".`, { field });
  return n;
}

/**
 * `value` when it is one of `allowed` (a number may come as its text); throws `UsageError` naming
 * `field` and the choices when it is not, quoting `given` (what the user wrote, default `value`).
 */
export function checkChoice<T extends string | number>(field: string, value: unknown, allowed: readonly T[], given: unknown = value): T {
  const match = allowed.find((a) => a === value || (typeof a === 'number' && typeof value === 'string' && String(a) === value.trim()));
  if (match === undefined)
    throw new UsageError(`${field} must be one of ${allowed.join(', ')}, not "${String(given)}".`, { field });
  return match;
}

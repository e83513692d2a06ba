/**
 * Generate's defaults and limits, once: core's checks, the CLI's flags and the api's schema all
 * read them from here, so the app and the CLI agree.
 */
import type { NumberRange } from '../validate';

/** Tempo of the written MIDI, in BPM, when neither the options nor the primer give one. */
export const DEFAULT_TEMPO_BPM = 120;
/** The ranges of the numeric options; the CLI's flags and the app's schema read them from here. */
export const GENERATE_LIMITS = {
  count: { min: 1, max: 256, integer: true },
  events: { min: 1, max: 100_000, integer: true },
  seconds: { min: 0.1, max: 3600 },
  tempoBpm: { min: 20, max: 400 },
  transpose: { min: -24, max: 24, integer: true },
  seed: { min: 0, max: 0xffffffff, integer: true },
  memory: { min: 0, max: 1 },
  memoryBudget: { min: 0, max: 1 },
  batchSize: { min: 1, integer: true },
  threads: { min: 1, max: 64, integer: true },
} as const satisfies Record<string, NumberRange>;

/**
 * Refine's defaults and limits, once: core's refinement, the CLI's flags and the api's schema all
 * read them from here, so the app and the CLI refine alike when nothing is asked for.
 */
import type { NumberRange } from '../validate';

/** Sampling temperature of the model's choices when none is asked for. */
export const DEFAULT_REFINE_TEMPERATURE = 0.9;
/** How far smoothing may change pitches when none is asked for: 0, expression only. */
export const DEFAULT_STRENGTH = 0;
/** Expression (phrase dynamics, tempo curve, voicing, pedal, micro-timing) when none is asked for, 0..1. */
export const DEFAULT_EXPRESSION = 0.5;
/** Seed of the model's choices when none is given. */
export const DEFAULT_REFINE_SEED = 1;

/** The ranges of the numeric options. */
export const REFINE_LIMITS = {
  strength: { min: 0, max: 1 },
  expression: { min: 0, max: 1 },
  temperature: { min: 0.05, max: 5 },
  seed: { min: 0, max: 0xffffffff, integer: true },
  targetLufs: { min: -70, max: 0 },
  ceilingDbtp: { min: -20, max: 0 },
} as const satisfies Record<string, NumberRange>;

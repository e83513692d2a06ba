/**
 * The CLI's flag parsers. Each hands the flag's text to core's check (core/common/validate.ts,
 * core/common/render/settings.ts), so a flag is checked once, with the words core uses for the same
 * value, and the error names the flag.
 */
import type { WavSampleFormat } from '../core/common/audio/wav';
import { checkEngine, checkSampleRateHz, checkWavFormat, type EngineChoice, type SampleRateHz } from '../core/common/render/settings';
import { checkChoice, checkNumber, type NumberRange } from '../core/common/validate';

/** A number flag in `range`, or undefined when the flag is absent. Throws `UsageError` naming the flag. */
export function numberOption(flag: string, value: string | number | undefined, range: NumberRange = {}): number | undefined {
  return value === undefined ? undefined : checkNumber(flag, value, range);
}

/** A flag that names one of `allowed`, or undefined when absent. Throws `UsageError` naming the flag and the choices. */
export function choiceOption<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  return value === undefined ? undefined : checkChoice(flag, value, allowed);
}

/** `--engine`: auto, native or wasm (any case). */
export function engineOption(value: string, flag = '--engine'): EngineChoice {
  return checkEngine(flag, value);
}

/** `--sample-rate`: one of the rates Cadenza writes. */
export function sampleRateOption(value: string, flag = '--sample-rate'): SampleRateHz {
  return checkSampleRateHz(flag, value);
}

/** `--format`: a WAV sample format, or one of its other names (s16, s24, float…). */
export function formatOption(value: string, flag = '--format'): WavSampleFormat {
  return checkWavFormat(flag, value);
}

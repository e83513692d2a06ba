/**
 * What a render may be asked for: the engines, sample rates and WAV formats Cadenza renders, with
 * their checks. The renderer, the api schemas and the CLI's flags all read them from here.
 */
import { WAV_SAMPLE_FORMATS, type WavSampleFormat } from '../audio/wav';
import type { Hertz } from '../units';
import { checkChoice } from '../validate';

/** Synth engines: 'auto' takes the native library when it loads, else wasm. */
export const ENGINE_CHOICES = ['auto', 'native', 'wasm'] as const;
/** One of `ENGINE_CHOICES`. */
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/** The sample rates Cadenza writes. */
export const SAMPLE_RATES_HZ = [44100, 48000] as const satisfies readonly Hertz[];
/** One of `SAMPLE_RATES_HZ`. */
export type SampleRateHz = (typeof SAMPLE_RATES_HZ)[number];
/** The sample rate when none is asked for. */
export const DEFAULT_SAMPLE_RATE_HZ: SampleRateHz = 44100;

/** Other names for the WAV sample formats (what other tools call them). */
const FORMAT_ALIASES: Record<string, WavSampleFormat> = {
  s16: 'pcm16',
  '16': 'pcm16',
  s24: 'pcm24',
  '24': 'pcm24',
  float: 'float32',
  f32: 'float32',
  '32f': 'float32',
};

/** `value` as an engine choice (any case); throws `UsageError` naming `field`. */
export function checkEngine(field: string, value: unknown): EngineChoice {
  return checkChoice(field, typeof value === 'string' ? value.toLowerCase() : value, ENGINE_CHOICES, value);
}

/** `value` (a number or its text) as a sample rate Cadenza writes; throws `UsageError` naming `field`. */
export function checkSampleRateHz(field: string, value: unknown): SampleRateHz {
  return checkChoice(field, value, SAMPLE_RATES_HZ);
}

/** `value` as a WAV sample format, its other names (s16, float…) and any case allowed; throws `UsageError` naming `field`. */
export function checkWavFormat(field: string, value: unknown): WavSampleFormat {
  const name = typeof value === 'string' ? value.toLowerCase() : value;
  return checkChoice(field, typeof name === 'string' ? (FORMAT_ALIASES[name] ?? name) : name, WAV_SAMPLE_FORMATS, value);
}

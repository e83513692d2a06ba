/**
 * The `remi` tokenizer (after REMI, Huang & Yang 2020): the composer's default. It separates what
 * a model must learn, so the vocabulary is a few hundred ids and the metre is in the tokens:
 *
 * - `Bar` opens every bar (empty bars included);
 * - `TS_3/4` follows a `Bar` where the time signature changes (and the first bar);
 * - `Pos_k`: the next notes start k grid steps after the bar line (12 steps per quarter, so 16ths
 *   and triplets are exact), written once per onset;
 * - `P_60` then `D_12`: one note, its pitch and its duration in grid steps (one of `DURATION_STEPS`).
 *
 * Notes of one onset are written lowest pitch first. Velocity is not carried (the Music
 * Transformer performs dynamics); durations are the written ones, without the sustain pedal.
 * Bars come from the song's time signatures; onsets round to the nearest grid step.
 */
import type { Note, Song, TimeSignatureEvent } from '../song/song';
import { emptySong } from '../song/song';
import { DURATION_STEPS, quantizeDurationSteps, STEPS_PER_QUARTER } from './notes';
import type { DecodeOptions, Tokenizer } from './types';

/** The lowest and highest pitch tokens (the piano's range; notes outside fold in by octaves). */
export const REMI_PITCH_RANGE = [21, 108] as const;
/** The longest bar a `Pos` token can address, in grid steps (12 quarters). */
export const REMI_MAX_BAR_STEPS = 144;
/** Time signatures with their own token; others are written as the nearest bar length in quarters. */
export const REMI_TIME_SIGNATURES: readonly string[] = [
  '2/4', '3/4', '4/4', '5/4', '6/4', '7/4', '3/8', '6/8', '9/8', '12/8', '2/2', '3/2', '4/2', '5/8', '7/8',
];

/** A bar's length in grid steps for `numerator/denominator`, within 1..REMI_MAX_BAR_STEPS. */
export function barSteps(numerator: number, denominator: number): number {
  const steps = Math.round((numerator * 4 * STEPS_PER_QUARTER) / denominator);
  return Math.max(1, Math.min(REMI_MAX_BAR_STEPS, steps));
}

/** The `TS_` token for a time signature, mapped to a listed one of the same bar length when needed. */
export function timeSignatureToken(numerator: number, denominator: number): string {
  const name = `${numerator}/${denominator}`;
  if (REMI_TIME_SIGNATURES.includes(name)) return `TS_${name}`;
  const steps = barSteps(numerator, denominator);
  const same = REMI_TIME_SIGNATURES.find((t) => {
    const [n, d] = t.split('/').map(Number);
    return barSteps(n!, d!) === steps;
  });
  return `TS_${same ?? '4/4'}`;
}

/** A parsed `remi` token; undefined for a malformed one. */
export type RemiToken =
  | { type: 'bar' }
  | { type: 'ts'; numerator: number; denominator: number }
  | { type: 'pos'; steps: number }
  | { type: 'pitch'; pitch: number }
  | { type: 'duration'; steps: number };

/** Parses a `remi` token. */
export function parseRemiToken(token: string): RemiToken | undefined {
  if (token === 'Bar') return { type: 'bar' };
  const m = /^(TS|Pos|P|D)_(\d+)(?:\/(\d+))?$/.exec(token);
  if (!m) return undefined;
  const a = Number(m[2]);
  switch (m[1]) {
    case 'TS':
      return m[3] !== undefined && a >= 1 && Number(m[3]) >= 1 ? { type: 'ts', numerator: a, denominator: Number(m[3]) } : undefined;
    case 'Pos':
      return m[3] === undefined && a < REMI_MAX_BAR_STEPS ? { type: 'pos', steps: a } : undefined;
    case 'P':
      return m[3] === undefined && a <= 127 ? { type: 'pitch', pitch: a } : undefined;
    case 'D':
      return m[3] === undefined && a >= 1 ? { type: 'duration', steps: a } : undefined;
    default:
      return undefined;
  }
}

/** Bar lines of a song in grid steps, up to and including the bar holding `lastStep`. */
function barLines(signatures: readonly TimeSignatureEvent[], ppq: number, lastStep: number): { start: number; steps: number; ts: string }[] {
  const sigs = [...signatures].sort((a, b) => a.ticks - b.ticks);
  if (sigs.length === 0 || sigs[0]!.ticks > 0) sigs.unshift({ ticks: 0, numerator: 4, denominator: 4 });
  const bars: { start: number; steps: number; ts: string }[] = [];
  let at = 0;
  let k = 0;
  while (at <= lastStep) {
    // A signature takes effect at the first bar line at or after it.
    while (k + 1 < sigs.length && Math.round((sigs[k + 1]!.ticks * STEPS_PER_QUARTER) / ppq) <= at) k++;
    const s = sigs[k]!;
    // Bars are as long as the signature written, so a decoder that reads the tokens alone finds
    // the same bar lines (an unlisted signature with no listed twin is re-barred in 4/4).
    const ts = timeSignatureToken(s.numerator, s.denominator);
    const [n, d] = ts.slice(3).split('/').map(Number);
    const steps = barSteps(n!, d!);
    bars.push({ start: at, steps, ts });
    at += steps;
  }
  return bars;
}

/** The `remi` tokenizer. */
export class RemiTokenizer implements Tokenizer {
  readonly kind = 'remi' as const;

  /** The song as Bar / TS / Pos / P / D tokens (drums dropped). */
  encode(song: Song): string[] {
    const ticksPerStep = song.ppq / STEPS_PER_QUARTER;
    const [lo, hi] = REMI_PITCH_RANGE;
    const keys: number[] = [];
    for (const n of song.notes) {
      if (song.tracks[n.track]?.isDrum) continue;
      const onset = Math.max(0, Math.round(n.startTicks / ticksPerStep));
      const duration = quantizeDurationSteps(Math.max(1, (n.endTicks - n.startTicks) / ticksPerStep));
      let pitch = n.pitch;
      while (pitch < lo) pitch += 12;
      while (pitch > hi) pitch -= 12;
      keys.push((onset * 128 + pitch) * 128 + duration);
    }
    const sorted = Float64Array.from(keys).sort();
    if (sorted.length === 0) return [];
    const lastStep = Math.floor(sorted[sorted.length - 1]! / (128 * 128));
    const bars = barLines(song.timeSignatures, song.ppq, lastStep);
    const tokens: string[] = [];
    let i = 0;
    let ts = '';
    for (const bar of bars) {
      tokens.push('Bar');
      if (bar.ts !== ts) tokens.push(bar.ts);
      ts = bar.ts;
      const end = bar.start + bar.steps;
      while (i < sorted.length) {
        const onset = Math.floor(sorted[i]! / (128 * 128));
        if (onset >= end) break;
        tokens.push(`Pos_${onset - bar.start}`);
        let previousPitch = -1;
        for (; i < sorted.length && Math.floor(sorted[i]! / (128 * 128)) === onset; i++) {
          const pitch = Math.floor(sorted[i]! / 128) % 128;
          // One note per pitch and onset: the longest (sorted last) wins.
          if (pitch === previousPitch) {
            tokens[tokens.length - 1] = `D_${sorted[i]! % 128}`;
            continue;
          }
          tokens.push(`P_${pitch}`, `D_${sorted[i]! % 128}`);
          previousPitch = pitch;
        }
      }
    }
    return tokens;
  }

  /** A playable song: one piano track, `bpm` (default 120), the written time signatures, `velocity` (default 80). Malformed or out-of-order tokens are skipped. */
  decode(tokens: readonly string[], options: DecodeOptions = {}): Song {
    const song = emptySong(options.ppq ?? 480);
    song.tempos = [{ ticks: 0, bpm: options.bpm ?? 120 }];
    song.timeSignatures = [];
    const velocity = Math.max(1, Math.min(127, Math.round(options.velocity ?? 80)));
    const ticksPerStep = song.ppq / STEPS_PER_QUARTER;
    let barStart = -1;
    let barLength = barSteps(4, 4);
    let onset = -1;
    let pitch = -1;
    const byKey = new Map<number, Note>();
    for (const token of tokens) {
      const t = parseRemiToken(token);
      if (!t) continue;
      switch (t.type) {
        case 'bar':
          barStart = barStart < 0 ? 0 : barStart + barLength;
          onset = -1;
          pitch = -1;
          break;
        case 'ts': {
          if (barStart < 0) barStart = 0;
          barLength = barSteps(t.numerator, t.denominator);
          const ticks = Math.round(barStart * ticksPerStep);
          const last = song.timeSignatures[song.timeSignatures.length - 1];
          if (!last || last.numerator !== t.numerator || last.denominator !== t.denominator) {
            if (last && last.ticks === ticks) song.timeSignatures.pop();
            song.timeSignatures.push({ ticks, numerator: t.numerator, denominator: t.denominator });
          }
          break;
        }
        case 'pos':
          if (barStart < 0) barStart = 0;
          onset = t.steps < barLength ? barStart + t.steps : -1;
          pitch = -1;
          break;
        case 'pitch':
          pitch = onset >= 0 ? t.pitch : -1;
          break;
        case 'duration': {
          if (pitch < 0) break;
          const startTicks = Math.round(onset * ticksPerStep);
          const endTicks = Math.round((onset + t.steps) * ticksPerStep);
          const key = startTicks * 128 + pitch;
          const prev = byKey.get(key);
          if (!prev || endTicks > prev.endTicks) byKey.set(key, { pitch, velocity, startTicks, endTicks, track: 0, channel: 0 });
          pitch = -1;
          break;
        }
      }
    }
    if (song.timeSignatures.length === 0 || song.timeSignatures[0]!.ticks > 0)
      song.timeSignatures.unshift({ ticks: 0, numerator: 4, denominator: 4 });
    song.notes = [...byKey.values()].sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
    return song;
  }

  /** Every token the grammar can write: the vocabulary is fixed, so no token is ever unknown. */
  baseTokens(): string[] {
    const out = ['Bar', ...REMI_TIME_SIGNATURES.map((t) => `TS_${t}`)];
    for (let k = 0; k < REMI_MAX_BAR_STEPS; k++) out.push(`Pos_${k}`);
    for (let p = REMI_PITCH_RANGE[0]; p <= REMI_PITCH_RANGE[1]; p++) out.push(`P_${p}`);
    for (const d of DURATION_STEPS) out.push(`D_${d}`);
    return out;
  }

  /** Only the duration token completes a note; the others are structure. */
  isEvent(token: string): boolean {
    return token.startsWith('D_');
  }
}

/** The tokens with each pitch and its duration joined into one note event (`P_60 D_12`), for event statistics. */
export function remiNoteEvents(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.startsWith('P_') && tokens[i + 1]?.startsWith('D_')) out.push(`${t} ${tokens[++i]!}`);
    else out.push(t);
  }
  return out;
}

/** What may follow, in the `remi` grammar: the kind of the previous token decides. */
export type RemiState = 'start' | 'bar' | 'ts' | 'pos' | 'pitch' | 'duration';

/**
 * Grammar of well-formed `remi` sequences, for sampling: `allowed(state, token, position)`.
 * Bar -> TS? -> (Pos -> (P -> D)+)* ; a Pos must lie after the previous Pos of its bar and inside it.
 */
export class RemiGrammar {
  /** Kind of the last token. */
  state: RemiState = 'start';
  /** Grid steps of the last Pos in the current bar (-1 before any). */
  lastPos = -1;
  /** The current bar's length in grid steps. */
  barLength = barSteps(4, 4);
  /** The last pitch at the current position (-1 before any): the encoder writes an onset's pitches rising, each once. */
  lastPitch = -1;

  /** Whether `token` (parsed) may come next. */
  allows(t: RemiToken | undefined): boolean {
    if (!t) return false;
    switch (this.state) {
      case 'start':
        return t.type === 'bar';
      case 'bar':
        return t.type === 'bar' || t.type === 'ts' || (t.type === 'pos' && t.steps < this.barLength);
      case 'ts':
        return t.type === 'bar' || (t.type === 'pos' && t.steps < this.barLength);
      case 'pos':
        return t.type === 'pitch';
      case 'pitch':
        return t.type === 'duration';
      case 'duration':
        return (t.type === 'pitch' && t.pitch > this.lastPitch) || t.type === 'bar' || (t.type === 'pos' && t.steps > this.lastPos && t.steps < this.barLength);
    }
  }

  /** Moves past `t` (assumed allowed). */
  advance(t: RemiToken): void {
    switch (t.type) {
      case 'bar':
        this.lastPos = -1;
        this.lastPitch = -1;
        break;
      case 'ts':
        this.barLength = barSteps(t.numerator, t.denominator);
        break;
      case 'pos':
        this.lastPos = t.steps;
        this.lastPitch = -1;
        break;
      case 'pitch':
        this.lastPitch = t.pitch;
        break;
      default:
        break;
    }
    this.state = t.type === 'bar' ? 'bar' : t.type === 'ts' ? 'ts' : t.type === 'pos' ? 'pos' : t.type === 'pitch' ? 'pitch' : 'duration';
  }
}

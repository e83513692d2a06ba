/**
 * The `performance` tokenizer: the Performance RNN / Music Transformer event vocabulary.
 * 388 tokens, in this order (the id is the position):
 *   NOTE_ON_0..NOTE_ON_127, NOTE_OFF_0..NOTE_OFF_127,
 *   TIME_SHIFT_10..TIME_SHIFT_1000 (milliseconds, 10 ms steps), VELOCITY_1..VELOCITY_32 (bins).
 *
 * Encoding works in seconds through the song's tempo map, after applying the sustain pedal
 * (unless `sustain: false`). Times round to the nearest 10 ms on an absolute grid, so errors
 * never accumulate; a note keeps at least one step. A velocity token precedes a note-on only
 * when the bin changes. At one instant, note-offs come before note-ons; a key struck twice in one
 * step (both hands) sounds once, with the first note's velocity.
 *
 * Decoding writes one piano track; the tokens carry seconds, so any tempo works: by default
 * 120 BPM and ppq 480, where one tick is 1/960 s and a 10 ms step is 9.6 ticks.
 */
import type { Note, Song } from '../song/song';
import { emptySong } from '../song/song';
import { applySustain } from '../song/sustain';
import { tempoMapOf } from '../song/tempo';
import type { DecodeOptions, Tokenizer } from './types';

/** Seconds per time-shift step (10 ms). */
export const TIME_STEP_SECONDS = 0.01;
/** Time-shift steps (the longest shift is 100 steps = 1 s). */
export const MAX_SHIFT_STEPS = 100;
/** Velocity bins. */
export const VELOCITY_BINS = 32;

/** The 388 performance tokens in id order. */
export function performanceTokens(): string[] {
  const out: string[] = [];
  for (let p = 0; p < 128; p++) out.push(`NOTE_ON_${p}`);
  for (let p = 0; p < 128; p++) out.push(`NOTE_OFF_${p}`);
  for (let s = 1; s <= MAX_SHIFT_STEPS; s++) out.push(`TIME_SHIFT_${s * 10}`);
  for (let b = 1; b <= VELOCITY_BINS; b++) out.push(`VELOCITY_${b}`);
  return out;
}

/** The velocity bin (1..32) of a MIDI velocity (1..127), as magenta's `velocity_to_bin`. */
export function velocityBin(velocity: number): number {
  const v = Math.max(1, Math.min(127, Math.round(velocity)));
  return Math.floor(((v - 1) * VELOCITY_BINS) / 127) + 1;
}

/** The velocity at the middle of a bin's range, so decoding lands inside the bin. */
export function binVelocity(bin: number): number {
  const b = Math.max(1, Math.min(VELOCITY_BINS, Math.round(bin)));
  let lo = 127;
  let hi = 1;
  for (let v = 1; v <= 127; v++)
    if (velocityBin(v) === b) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  return Math.round((lo + hi) / 2);
}

/** Room for note indexes inside a sort key (2^22 notes per song). */
const INDEX_SPAN = 2 ** 22;
const ON_NAMES = Array.from({ length: 128 }, (_, p) => `NOTE_ON_${p}`);
const OFF_NAMES = Array.from({ length: 128 }, (_, p) => `NOTE_OFF_${p}`);
const SHIFT_NAMES = Array.from({ length: MAX_SHIFT_STEPS + 1 }, (_, s) => `TIME_SHIFT_${s * 10}`);
const VELOCITY_NAMES = Array.from({ length: VELOCITY_BINS + 1 }, (_, b) => `VELOCITY_${b}`);

/** Options of the performance tokenizer. */
export interface PerformanceOptions {
  /** Apply the sustain pedal to note lengths before encoding (default true). */
  sustain?: boolean;
}

/** The `performance` tokenizer. */
export class PerformanceTokenizer implements Tokenizer {
  readonly kind = 'performance' as const;
  private readonly sustain: boolean;

  constructor(options: PerformanceOptions = {}) {
    this.sustain = options.sustain ?? true;
  }

  /** The song as performance events (drums dropped). */
  encode(input: Song): string[] {
    const song = this.sustain ? applySustain(input) : input;
    const map = tempoMapOf(song);
    const step = (ticks: number): number => Math.round(map.toSeconds(ticks) / TIME_STEP_SECONDS);
    // One number per event: time step, off (0) before on (1), pitch, then the note's index for its velocity.
    const notes = song.notes;
    const keys: number[] = [];
    for (let i = 0; i < notes.length; i++) {
      const n = notes[i]!;
      if (song.tracks[n.track]?.isDrum) continue;
      const on = step(n.startTicks);
      const off = Math.max(on + 1, step(n.endTicks));
      keys.push((on * 256 + 128 + n.pitch) * INDEX_SPAN + i, (off * 256 + n.pitch) * INDEX_SPAN + i);
    }
    const sorted = Float64Array.from(keys).sort();
    const tokens: string[] = [];
    const sounding = new Uint16Array(128);
    const lastOn = new Float64Array(128).fill(-1);
    let now = 0;
    let bin = -1;
    for (const key of sorted) {
      const event = Math.floor(key / INDEX_SPAN);
      const at = Math.floor(event / 256);
      const isOn = (event & 128) !== 0;
      const pitch = event & 127;
      if (!isOn) {
        // An off whose note a re-strike already ended has nothing left to end.
        if (sounding[pitch] === 0) continue;
        if (--sounding[pitch]! > 0) continue;
      }
      for (let gap = at - now; gap > 0; gap -= MAX_SHIFT_STEPS)
        tokens.push(SHIFT_NAMES[Math.min(gap, MAX_SHIFT_STEPS)]!);
      now = at;
      if (!isOn) {
        tokens.push(OFF_NAMES[pitch]!);
        continue;
      }
      if (sounding[pitch]! > 0) {
        sounding[pitch]!++;
        // Two notes of one key struck in the same step (both hands) sound as one.
        if (lastOn[pitch] === at) continue;
        // A key struck again while sounding: end it first, as a piano does.
        tokens.push(OFF_NAMES[pitch]!);
      } else sounding[pitch] = 1;
      lastOn[pitch] = at;
      const b = velocityBin(notes[key % INDEX_SPAN]!.velocity);
      if (b !== bin) {
        tokens.push(VELOCITY_NAMES[b]!);
        bin = b;
      }
      tokens.push(ON_NAMES[pitch]!);
    }
    return tokens;
  }

  /** A song from performance events; `bpm` and `ppq` only choose the tick grid (default 120 BPM, ppq 480). */
  decode(tokens: readonly string[], options: DecodeOptions = {}): Song {
    const song = emptySong(options.ppq ?? 480);
    const bpm = options.bpm ?? 120;
    song.tempos = [{ ticks: 0, bpm }];
    const ticksPerSecond = (bpm / 60) * song.ppq;
    const toTicks = (steps: number): number => Math.round(steps * TIME_STEP_SECONDS * ticksPerSecond);
    const notes: Note[] = [];
    const open = new Map<number, { start: number; velocity: number }>();
    let now = 0;
    let velocity = options.velocity ?? binVelocity(16);
    const close = (pitch: number): void => {
      const o = open.get(pitch);
      if (!o) return;
      open.delete(pitch);
      const end = Math.max(now, o.start + 1);
      notes.push({
        pitch,
        velocity: o.velocity,
        startTicks: toTicks(o.start),
        endTicks: toTicks(end),
        track: 0,
        channel: 0,
      });
    };
    for (const token of tokens) {
      const m = /^(NOTE_ON|NOTE_OFF|TIME_SHIFT|VELOCITY)_(\d+)$/.exec(token);
      if (!m) continue;
      const value = Number(m[2]);
      if (m[1] === 'TIME_SHIFT') {
        if (value % 10 === 0 && value >= 10 && value <= MAX_SHIFT_STEPS * 10) now += value / 10;
      } else if (m[1] === 'VELOCITY') {
        if (value >= 1 && value <= VELOCITY_BINS) velocity = binVelocity(value);
      } else if (value <= 127) {
        close(value);
        if (m[1] === 'NOTE_ON') open.set(value, { start: now, velocity });
      }
    }
    for (const pitch of [...open.keys()]) close(pitch);
    song.notes = notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
    return song;
  }

  /** All 388 tokens, so every performance vocabulary is the same. */
  baseTokens(): string[] {
    return performanceTokens();
  }

  /** Time shifts and velocities are not events; note-ons and note-offs are. */
  isEvent(token: string): boolean {
    return token.startsWith('NOTE_');
  }
}

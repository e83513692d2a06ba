/**
 * The `notes` tokenizer (the LSTM's default). Two kinds of token:
 *
 * - an event `60.64.67:12` = the notes that start together with the same quantized duration
 *   (across both hands), pitches with octaves, duration in grid steps (here C4 E4 G4, one quarter);
 * - a step `+6` = move the onset on by 6 grid steps (at most `MAX_STEP`; longer gaps repeat it).
 *
 * Events with no step between them start together. Times are on a tempo-independent grid of
 * 1/12 quarter (holds 16ths and triplets), fixed, so a token means the same whatever options
 * made it. Onsets round to the nearest grid step; durations to the nearest of `DURATION_STEPS`
 * by ratio. Events at one onset are written longest first, then by lowest pitch.
 *
 * Rare tokens: a step splits exactly into smaller steps; a chord splits exactly into its
 * notes; a rare single note takes the nearest in-vocabulary duration of its pitch (approximate).
 */
import type { Note, Song } from '../song/song';
import { emptySong } from '../song/song';
import type { DecodeOptions, Tokenizer } from './types';

/** Grid steps per quarter note. */
export const STEPS_PER_QUARTER = 12;
/** The longest onset step one token carries, in grid steps (4 quarters). */
export const MAX_STEP = 48;
/** Allowed durations in grid steps (1/12 .. 8 quarters): common note values, dotted and triplet. */
export const DURATION_STEPS: readonly number[] = [1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 36, 48, 72, 96];

const EXACT = new Set(DURATION_STEPS);

/** Nearest allowed duration to `steps` grid steps, compared by ratio. */
export function quantizeDurationSteps(steps: number): number {
  // Most durations sit on a value exactly; skip the search then.
  if (EXACT.has(steps)) return steps;
  let best = DURATION_STEPS[0]!;
  let bestError = Number.POSITIVE_INFINITY;
  for (const d of DURATION_STEPS) {
    const error = Math.abs(Math.log(Math.max(steps, 0.5) / d));
    if (error < bestError) {
      bestError = error;
      best = d;
    }
  }
  return best;
}

/** A parsed token: a step (`pitches` empty) or an event. */
export interface NotesToken {
  /** Pitches, ascending; empty for a step. */
  pitches: number[];
  /** Duration in grid steps (0 for a step). */
  durationSteps: number;
  /** Onset advance in grid steps (0 for an event). */
  step: number;
}

/** The token string of a step (`+N`) or an event (`p1.p2:D`). */
export function formatNotesToken(t: NotesToken): string {
  return t.pitches.length === 0 ? `+${t.step}` : `${t.pitches.join('.')}:${t.durationSteps}`;
}

/** Parses a token; undefined for a malformed one. */
export function parseNotesToken(token: string): NotesToken | undefined {
  if (token.startsWith('+')) {
    const step = Number(token.slice(1));
    return Number.isInteger(step) && step >= 1 && step <= MAX_STEP
      ? { pitches: [], durationSteps: 0, step }
      : undefined;
  }
  const m = /^(\d{1,3}(?:\.\d{1,3})*):(\d+)$/.exec(token);
  if (!m) return undefined;
  const pitches = m[1]!.split('.').map(Number);
  const durationSteps = Number(m[2]);
  if (pitches.some((p) => p > 127) || durationSteps < 1) return undefined;
  return { pitches, durationSteps, step: 0 };
}

/** The `notes` tokenizer. */
export class NotesTokenizer implements Tokenizer {
  readonly kind = 'notes' as const;

  /** The song's notes as step and event tokens (drums dropped; sustain as the song has it). */
  encode(song: Song): string[] {
    const ticksPerStep = song.ppq / STEPS_PER_QUARTER;
    // One number per note: onset, then duration longest first, then pitch; sorting numbers is fast.
    const keys: number[] = [];
    const longest = DURATION_STEPS[DURATION_STEPS.length - 1]!;
    for (const n of song.notes) {
      if (song.tracks[n.track]?.isDrum) continue;
      const onset = Math.round(n.startTicks / ticksPerStep);
      const duration = quantizeDurationSteps((n.endTicks - n.startTicks) / ticksPerStep);
      keys.push((onset * 128 + (longest - duration)) * 128 + n.pitch);
    }
    const sorted = Float64Array.from(keys).sort();
    const tokens: string[] = [];
    let previous = 0;
    let i = 0;
    while (i < sorted.length) {
      const group = Math.floor(sorted[i]! / 128);
      const onset = Math.floor(group / 128);
      const durationSteps = longest - (group % 128);
      const pitches: number[] = [];
      for (; i < sorted.length && Math.floor(sorted[i]! / 128) === group; i++) {
        const pitch = sorted[i]! % 128;
        if (pitches[pitches.length - 1] !== pitch) pitches.push(pitch);
      }
      if (onset !== previous) {
        tokens.push(...stepTokens(onset - previous));
        previous = onset;
      }
      tokens.push(`${pitches.join('.')}:${durationSteps}`);
    }
    return tokens;
  }

  /** A playable song: one piano track, `bpm` (default 120), 4/4, `velocity` (default 80); malformed tokens are skipped. */
  decode(tokens: readonly string[], options: DecodeOptions = {}): Song {
    const song = emptySong(options.ppq ?? 480);
    song.tempos = [{ ticks: 0, bpm: options.bpm ?? 120 }];
    const velocity = Math.max(1, Math.min(127, Math.round(options.velocity ?? 80)));
    const ticksPerStep = song.ppq / STEPS_PER_QUARTER;
    let at = 0;
    // One note per (pitch, onset), the longest, so a model that repeats a pitch does not double-strike it.
    const byKey = new Map<number, Note>();
    for (const token of tokens) {
      const t = parseNotesToken(token);
      if (!t) continue;
      at += t.step;
      const startTicks = Math.round(at * ticksPerStep);
      const endTicks = Math.round((at + t.durationSteps) * ticksPerStep);
      for (const pitch of t.pitches) {
        const key = startTicks * 128 + pitch;
        const prev = byKey.get(key);
        if (!prev || endTicks > prev.endTicks)
          byKey.set(key, { pitch, velocity, startTicks, endTicks, track: 0, channel: 0 });
      }
    }
    song.notes = [...byKey.values()].sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
    return song;
  }

  /** Every step token `+1`..`+48`, so any gap can be written exactly. */
  baseTokens(): string[] {
    return Array.from({ length: MAX_STEP }, (_, i) => `+${i + 1}`);
  }

  /** Steps are time, not events. */
  isEvent(token: string): boolean {
    return !token.startsWith('+');
  }

  /** A chord's notes, each with the chord's duration (they decode to the same notes). */
  decompose(token: string): string[] {
    const t = parseNotesToken(token);
    if (!t || t.pitches.length <= 1) return [token];
    return t.pitches.map((p) => formatNotesToken({ pitches: [p], durationSteps: t.durationSteps, step: 0 }));
  }

  /** In-vocabulary tokens for a rare one: steps and chords exactly, a rare note by its nearest known duration. */
  substitute(
    token: string,
    has: (token: string) => boolean,
  ): { tokens: string[]; exact: boolean } | undefined {
    const t = parseNotesToken(token);
    if (!t) return undefined;
    if (t.pitches.length === 0) {
      const parts: string[] = [];
      let left = t.step;
      while (left > 0) {
        let s = left;
        while (s > 1 && !has(`+${s}`)) s--;
        if (!has(`+${s}`)) return undefined;
        parts.push(`+${s}`);
        left -= s;
      }
      return { tokens: parts, exact: true };
    }
    const out: string[] = [];
    let exact = true;
    for (const part of this.decompose(token)) {
      if (has(part)) {
        out.push(part);
        continue;
      }
      const note = parseNotesToken(part)!;
      const alternatives = DURATION_STEPS.filter((d) => has(`${note.pitches[0]}:${d}`)).sort(
        (a, b) => Math.abs(Math.log(a / note.durationSteps)) - Math.abs(Math.log(b / note.durationSteps)),
      );
      if (alternatives.length === 0) return undefined;
      out.push(`${note.pitches[0]}:${alternatives[0]}`);
      exact = false;
    }
    return { tokens: out, exact };
  }
}

/** Step tokens covering a gap of `steps` grid steps. */
function stepTokens(steps: number): string[] {
  const out: string[] = [];
  let left = steps;
  while (left > MAX_STEP) {
    out.push(`+${MAX_STEP}`);
    left -= MAX_STEP;
  }
  if (left > 0) out.push(`+${left}`);
  return out;
}

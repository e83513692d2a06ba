/**
 * Music features that tell composed music from noise, independent of any tokenizer (issue 13):
 * metre (onsets on the written beat, gaps on the 16th/triplet grid), two hands, motifs (longest
 * internal repeat of onset groups), key (scale consistency in 10-s windows) and pitch spread per
 * minute. The others the issue names already exist (pitch.ts, rhythm.ts, repetition.ts);
 * `COMPOSER_FEATURES` (compare.ts) lists all ten, and `overlapSummary` reduces a set comparison to them.
 * Formulas and units: docs/METRICS.md.
 */
import type { Note, Song } from '../song/song';
import { durationSeconds, tempoMapOf } from '../song/tempo';
import { pitchCount, scaleConsistency } from './pitch';

/** Middle C: notes below it count as the left hand, at or above it as the right. */
export const MIDDLE_C = 60;

/** Tolerance of "on the beat", as a share of a quarter note (1/16 of a quarter: a 64th note). */
export const BEAT_TOLERANCE_QUARTERS = 1 / 16;

/** Tolerance of "a whole number of 16ths or triplets", as a share of a quarter note. */
export const GRID_TOLERANCE_QUARTERS = 1 / 48;

/** Length of a window of `windowScaleConsistency`, in seconds. */
export const SCALE_WINDOW_SECONDS = 10;

/** Fewest notes a window needs to count in `windowScaleConsistency`. */
export const SCALE_WINDOW_MIN_NOTES = 4;

/** The distinct onset ticks of a song, ascending. */
export function onsetTicks(song: Song): number[] {
  const out: number[] = [];
  for (const n of song.notes) if (out[out.length - 1] !== n.startTicks) out.push(n.startTicks);
  // Song.notes is sorted by onset, but a hand-built song need not be.
  for (let i = 1; i < out.length; i++)
    if (out[i]! < out[i - 1]!) return [...new Set(out)].sort((a, b) => a - b);
  return out;
}

/**
 * Share of onset groups (distinct onset ticks) within `BEAT_TOLERANCE_QUARTERS` of a written beat.
 * Beats start at each time signature and are one of its denominator's note value long
 * (4·ppq/denominator ticks; 4/4 when the song has none). NaN for no notes.
 */
export function onBeatShare(song: Song): number {
  const onsets = onsetTicks(song);
  if (onsets.length === 0) return NaN;
  const sigs = song.timeSignatures.length
    ? [...song.timeSignatures].sort((a, b) => a.ticks - b.ticks)
    : [{ ticks: 0, numerator: 4, denominator: 4 }];
  const tolerance = BEAT_TOLERANCE_QUARTERS * song.ppq;
  let s = 0;
  let on = 0;
  for (const t of onsets) {
    while (s + 1 < sigs.length && sigs[s + 1]!.ticks <= t) s++;
    const sig = sigs[s]!;
    const beat = (4 * song.ppq) / sig.denominator;
    // Before the first signature (it may start late), beats count from tick 0.
    const origin = sig.ticks <= t ? sig.ticks : 0;
    const phase = (((t - origin) % beat) + beat) % beat;
    if (Math.min(phase, beat - phase) <= tolerance) on++;
  }
  return on / onsets.length;
}

/**
 * Share of sounding time in which both hands sound: a note below middle C and one at or above it
 * at once, over the time in which any note sounds (ticks; NaN for no notes).
 */
export function bothHandsShare(notes: readonly Note[]): number {
  if (notes.length === 0) return NaN;
  // tick·4 + kind, kinds: 0 low off, 1 high off, 2 low on, 3 high on: releases sort before onsets.
  const events = new Float64Array(notes.length * 2);
  notes.forEach((n, i) => {
    const high = n.pitch >= MIDDLE_C ? 1 : 0;
    events[2 * i] = n.startTicks * 4 + 2 + high;
    events[2 * i + 1] = n.endTicks * 4 + high;
  });
  events.sort();
  let low = 0;
  let high = 0;
  let any = 0;
  let both = 0;
  let last = Math.floor(events[0]! / 4);
  for (const e of events) {
    const tick = Math.floor(e / 4);
    const dt = tick - last;
    if (low + high > 0) any += dt;
    if (low > 0 && high > 0) both += dt;
    const kind = e - tick * 4;
    if (kind === 0) low--;
    else if (kind === 1) high--;
    else if (kind === 2) low++;
    else high++;
    last = tick;
  }
  return any > 0 ? both / any : NaN;
}

/**
 * The longest span of events (e.g. onset groups from `chordEvents`) that occurs twice in the
 * sequence without the two occurrences overlapping; 0 when no event repeats. Binary search on the
 * length with a 53-bit rolling hash per length (a repeat of L implies one of L − 1), O(n log n).
 */
export function longestInternalRepeat(events: ArrayLike<number>): number {
  const n = events.length;
  const hasRepeat = (len: number): boolean => {
    if (len === 0) return true;
    if (2 * len > n) return false;
    const first = new Map<number, number>();
    const B1 = 1000003;
    const B2 = 999983;
    const M1 = 2147483629;
    const M2 = 2097143;
    let p1 = 1;
    let p2 = 1;
    for (let j = 0; j < len - 1; j++) {
      p1 = (p1 * B1) % M1;
      p2 = (p2 * B2) % M2;
    }
    let h1 = 0;
    let h2 = 0;
    for (let i = 0; i < n; i++) {
      const e = events[i]! + 1;
      if (i >= len) {
        const out = events[i - len]! + 1;
        h1 = (h1 - ((out * p1) % M1) + M1) % M1;
        h2 = (h2 - ((out * p2) % M2) + M2) % M2;
      }
      // Products stay below 2^53: h < 2^31 times B < 2^20.
      h1 = (h1 * B1 + e) % M1;
      h2 = (h2 * B2 + e) % M2;
      if (i < len - 1) continue;
      const start = i - len + 1;
      const key = h1 * M2 + h2;
      const at = first.get(key);
      if (at === undefined) first.set(key, start);
      else if (start - at >= len && sameSpan(events, at, start, len)) return true;
    }
    return false;
  };
  let lo = 0;
  let hi = Math.floor(n / 2);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (hasRepeat(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function sameSpan(events: ArrayLike<number>, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (events[a + k] !== events[b + k]) return false;
  return true;
}

/**
 * Scale consistency in windows: the notes are cut by onset time into consecutive windows of
 * `SCALE_WINDOW_SECONDS`; each window with at least `SCALE_WINDOW_MIN_NOTES` notes gets the best
 * in-scale share over the 24 major and natural-minor scales; the mean over those windows (NaN when
 * none). A piece in a key scores near 1 even when it modulates; notes at random score about 0.6–0.7.
 */
export function windowScaleConsistency(song: Song): number {
  const tempo = tempoMapOf(song);
  const windows = new Map<number, Note[]>();
  for (const n of song.notes) {
    const w = Math.floor(tempo.toSeconds(n.startTicks) / SCALE_WINDOW_SECONDS);
    let list = windows.get(w);
    if (!list) windows.set(w, (list = []));
    list.push(n);
  }
  let sum = 0;
  let count = 0;
  for (const notes of windows.values())
    if (notes.length >= SCALE_WINDOW_MIN_NOTES) {
      sum += scaleConsistency(notes);
      count++;
    }
  return count ? sum / count : NaN;
}

/** Distinct MIDI pitches divided by the piece's duration in minutes (to the last release; NaN for no notes). */
export function pitchesPerMinute(song: Song): number {
  const seconds = durationSeconds(song);
  return song.notes.length && seconds > 0 ? pitchCount(song.notes) / (seconds / 60) : NaN;
}

/**
 * Share of gaps between successive onset groups that are a whole number of 16th notes (ppq/4) or
 * of 16th-note triplets (ppq/6, which includes eighth triplets), within `GRID_TOLERANCE_QUARTERS`.
 * NaN with fewer than two onsets.
 */
export function gridGapShare(song: Song): number {
  const onsets = onsetTicks(song);
  if (onsets.length < 2) return NaN;
  const tolerance = GRID_TOLERANCE_QUARTERS * song.ppq;
  const near = (gap: number, unit: number): boolean => {
    const k = Math.max(1, Math.round(gap / unit));
    return Math.abs(gap - k * unit) <= tolerance;
  };
  let on = 0;
  for (let i = 1; i < onsets.length; i++) {
    const gap = onsets[i]! - onsets[i - 1]!;
    if (near(gap, song.ppq / 4) || near(gap, song.ppq / 6)) on++;
  }
  return on / (onsets.length - 1);
}

/**
 * The first `seconds` of a song: notes that start before then, each cut at that time. Used to
 * compare real pieces with generated ones of that length on features that grow with length
 * (pitch range, repeats, distinct pitches).
 */
export function cropSong(song: Song, seconds: number): Song {
  const tempo = tempoMapOf(song);
  const endTicks = Math.round(tempo.toTicks(seconds));
  const notes = song.notes
    .filter((n) => n.startTicks < endTicks)
    .map((n) => (n.endTicks > endTicks ? { ...n, endTicks } : n));
  return { ...song, notes };
}

/**
 * The part of `song` from `fromSeconds` to `toSeconds`, moved to start at tick 0: notes that start
 * in it (releases cut at its end), with the tempos, time signatures, key signatures and pedals in
 * effect. The start is moved back to the bar line at or before `fromSeconds` (of the time signature
 * in effect there), so beat and bar positions stay what they were in the whole song.
 */
export function windowSong(song: Song, fromSeconds: number, toSeconds: number): Song {
  const tempo = tempoMapOf(song);
  const at = Math.max(0, tempo.toTicks(fromSeconds));
  const sigs = [...song.timeSignatures].sort((a, b) => a.ticks - b.ticks);
  const sig = [...sigs].reverse().find((s) => s.ticks <= at) ?? { ticks: 0, numerator: 4, denominator: 4 };
  const bar = (sig.numerator * 4 * song.ppq) / sig.denominator;
  const start = Math.round(sig.ticks + Math.floor((at - sig.ticks) / bar) * bar);
  const end = Math.round(tempo.toTicks(toSeconds));
  /** Events from `start` on, moved, with the one in effect at `start` moved to tick 0. */
  const shift = <E extends { ticks: number }>(events: readonly E[]): E[] => {
    const sorted = [...events].sort((a, b) => a.ticks - b.ticks);
    const before = sorted.filter((e) => e.ticks <= start);
    const current = before[before.length - 1];
    const later = sorted.filter((e) => e.ticks > start && e.ticks < end);
    return [...(current ? [{ ...current, ticks: 0 }] : []), ...later.map((e) => ({ ...e, ticks: e.ticks - start }))];
  };
  const notes = song.notes
    .filter((n) => n.startTicks >= start && n.startTicks < end)
    .map((n) => ({ ...n, startTicks: n.startTicks - start, endTicks: Math.min(n.endTicks, end) - start }));
  return {
    ...song,
    notes,
    tempos: shift(song.tempos),
    timeSignatures: shift(song.timeSignatures),
    keySignatures: shift(song.keySignatures),
    // Pedals are state changes per channel: keep them all from the window on, none carried in.
    pedals: song.pedals.filter((e) => e.ticks >= start && e.ticks < end).map((e) => ({ ...e, ticks: e.ticks - start })),
  };
}

/**
 * Rhythm measures of one song, after Yang & Lerch (2018) and MusPy (Dong et al. 2020).
 * Grids are in ticks through `Song.ppq` (a beat = a quarter note, as MusPy's resolution), so
 * they do not depend on tempo; the inter-onset interval is in seconds through the tempo map.
 */
import type { Note, Song } from '../song/song';
import { tempoMapOf } from '../song/tempo';
import type { Seconds } from '../units';

/** IOI: mean time between consecutive distinct onsets, in seconds (NaN with fewer than two onsets). */
export function averageInterOnsetSeconds(song: Song): Seconds {
  const map = tempoMapOf(song);
  const onsets = [...new Set(song.notes.map((n) => n.startTicks))].sort((a, b) => a - b);
  if (onsets.length < 2) return NaN;
  return (map.toSeconds(onsets[onsets.length - 1]!) - map.toSeconds(onsets[0]!)) / (onsets.length - 1);
}

/**
 * The note-length classes of Yang & Lerch's NLH, in quarter notes: whole, half, quarter, eighth,
 * sixteenth; dotted half, quarter, eighth, sixteenth; half, quarter and eighth triplets.
 */
export const NOTE_LENGTH_CLASSES: readonly { label: string; quarters: number }[] = [
  { label: '1', quarters: 4 },
  { label: '1/2', quarters: 2 },
  { label: '1/4', quarters: 1 },
  { label: '1/8', quarters: 0.5 },
  { label: '1/16', quarters: 0.25 },
  { label: '1/2.', quarters: 3 },
  { label: '1/4.', quarters: 1.5 },
  { label: '1/8.', quarters: 0.75 },
  { label: '1/16.', quarters: 0.375 },
  { label: '1/2t', quarters: 4 / 3 },
  { label: '1/4t', quarters: 2 / 3 },
  { label: '1/8t', quarters: 1 / 3 },
];

/**
 * NLH: each note's length (in quarter notes) assigned to the nearest class of
 * `NOTE_LENGTH_CLASSES` on a log scale (longer than a whole note counts as whole, shorter than
 * a sixteenth as sixteenth), normalised to sum to 1 (all zeros for no notes).
 */
export function noteLengthHistogram(song: Song): number[] {
  const h = new Array<number>(NOTE_LENGTH_CLASSES.length).fill(0);
  const logs = NOTE_LENGTH_CLASSES.map((c) => Math.log2(c.quarters));
  for (const n of song.notes) {
    const l = Math.log2((n.endTicks - n.startTicks) / song.ppq);
    let best = 0;
    for (let i = 1; i < logs.length; i++) if (Math.abs(l - logs[i]!) < Math.abs(l - logs[best]!)) best = i;
    h[best]!++;
  }
  return song.notes.length ? h.map((c) => c / song.notes.length) : h;
}

/**
 * Polyphony (MusPy): the mean number of notes sounding at once, over the time in which at least
 * one sounds (time-weighted in ticks; NaN for no notes). 1 for a melody, about 3 for block triads.
 */
export function polyphony(notes: readonly Note[]): number {
  if (notes.length === 0) return NaN;
  // tick·2 + 1 for an onset, tick·2 for a release: one numeric sort puts releases before onsets at one tick.
  const events = new Float64Array(notes.length * 2);
  notes.forEach((n, i) => {
    events[2 * i] = n.startTicks * 2 + 1;
    events[2 * i + 1] = n.endTicks * 2;
  });
  events.sort();
  let sounding = 0;
  let weighted = 0;
  let covered = 0;
  let last = Math.floor(events[0]! / 2);
  for (const e of events) {
    const tick = Math.floor(e / 2);
    const dt = tick - last;
    if (sounding > 0) {
      weighted += sounding * dt;
      covered += dt;
    }
    sounding += e % 2 === 1 ? 1 : -1;
    last = tick;
  }
  return covered > 0 ? weighted / covered : NaN;
}

/** Grid positions per quarter note for onset patterns: 12 holds both sixteenths and eighth triplets. */
export const GROOVE_POSITIONS_PER_QUARTER = 12;

/** Bars of a song: start tick, length in ticks, from its time signatures, up to its last note release. */
export function bars(song: Song): { startTicks: number; lengthTicks: number }[] {
  let end = 0;
  for (const n of song.notes) if (n.endTicks > end) end = n.endTicks;
  const sigs = song.timeSignatures.length
    ? song.timeSignatures
    : [{ ticks: 0, numerator: 4, denominator: 4 }];
  const out: { startTicks: number; lengthTicks: number }[] = [];
  for (let s = 0; s < sigs.length; s++) {
    const sig = sigs[s]!;
    const segmentEnd = s + 1 < sigs.length ? sigs[s + 1]!.ticks : end;
    const length = (sig.numerator * 4 * song.ppq) / sig.denominator;
    if (!(length > 0)) continue;
    for (let t = sig.ticks; t < segmentEnd; t += length) out.push({ startTicks: t, lengthTicks: length });
  }
  return out;
}

/**
 * Groove consistency (Wu & Yang 2020, as in MusPy): 1 minus the mean Hamming distance between the
 * binary onset patterns of neighbouring bars (12 positions per quarter note), each distance divided
 * by the positions per bar. Pairs of bars of different length are skipped. NaN with fewer than two bars.
 */
export function grooveConsistency(song: Song): number {
  const list = bars(song);
  if (list.length < 2) return NaN;
  const patterns = list.map(
    (b) => new Uint8Array(Math.max(1, Math.round((b.lengthTicks / song.ppq) * GROOVE_POSITIONS_PER_QUARTER))),
  );
  let bar = 0;
  for (const n of song.notes) {
    while (bar + 1 < list.length && list[bar + 1]!.startTicks <= n.startTicks) bar++;
    const b = list[bar]!;
    const p = patterns[bar]!;
    const pos = Math.min(
      p.length - 1,
      Math.round(((n.startTicks - b.startTicks) / song.ppq) * GROOVE_POSITIONS_PER_QUARTER),
    );
    p[pos] = 1;
  }
  let sum = 0;
  let pairs = 0;
  for (let i = 1; i < patterns.length; i++) {
    const a = patterns[i - 1]!;
    const b = patterns[i]!;
    if (a.length !== b.length) continue;
    let d = 0;
    for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) d++;
    sum += d / a.length;
    pairs++;
  }
  return pairs ? 1 - sum / pairs : NaN;
}

/**
 * Empty-beat rate (MusPy): the fraction of beats (quarter notes, from tick 0 to the last release)
 * in which no note sounds (NaN for no notes).
 */
export function emptyBeatRate(song: Song): number {
  if (song.notes.length === 0) return NaN;
  let end = 0;
  for (const n of song.notes) if (n.endTicks > end) end = n.endTicks;
  const beats = Math.ceil(end / song.ppq);
  const sounding = new Uint8Array(beats);
  for (const n of song.notes) {
    const first = Math.floor(n.startTicks / song.ppq);
    const last = Math.ceil(n.endTicks / song.ppq) - 1;
    for (let b = first; b <= last; b++) sounding[b] = 1;
  }
  let empty = 0;
  for (const s of sounding) if (!s) empty++;
  return empty / beats;
}

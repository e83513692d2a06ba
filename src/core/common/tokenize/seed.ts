/**
 * The `seed` tokenizer: the original research tool's music21-based extraction, reproduced
 * token for token. Each note becomes its pitch name with octave (`E-4`), each chord its
 * pitch classes in normal order joined by '.' (`4.7.11`). The rules follow music21 9's MIDI
 * import (`midi/translate.py`) and `instrument.partitionByInstrument`:
 *
 * 1. Per track, in file order, notes whose onsets lie less than 1/4 quarter after a first
 *    note (raw ticks) and whose releases lie within 1/4 quarter of its release join its chord,
 *    which lasts as long as its last note.
 * 2. Onsets and durations are quantized independently to the nearest multiple of 1/4 or 1/3
 *    quarter (smaller error wins, ties go to 1/4, exactly halfway rounds down; a sounding
 *    note's duration never becomes zero).
 * 3. A note or chord that crosses a barline is split there (music21's ties); each piece is a
 *    token. The continuation sorts after the bar's own notes at the same offset.
 * 4. Tracks with the same program merge into one part, interleaved by offset, then track,
 *    then file order; parts follow each other in order of their first track.
 *
 * Sustain is ignored, as music21 ignores the pedal. The note order within one tick comes from
 * the file, so `encodeMidi` (raw bytes) is exact where `encode` (a Song, sorted by pitch) may
 * order same-tick notes of one hand differently.
 */
import type { Song, TimeSignatureEvent } from '../song/song';
import { emptySong } from '../song/song';
import type { DecodeOptions, Tokenizer } from './types';
import { normalOrder, parsePitchName, pitchName } from './pitch';
import type { SmfScore } from './smfNotes';
import { readSmfNotes } from './smfNotes';

/** Internal time unit: 1/96 quarter holds the 1/4 and 1/3 grids and every common bar length exactly. */
const UNITS_PER_QUARTER = 96;

/** One note or chord of one track, after grouping and quantization. */
interface SeedElement {
  /** Onset, in 1/96 quarters. */
  offset: number;
  /** Duration, in 1/96 quarters (0 only for a grace note: a MIDI note with no length). */
  duration: number;
  pitches: number[];
  track: number;
  /** Position in its track's file order. */
  order: number;
  /** True for the piece of a note after a barline it was split at. */
  continued: boolean;
}

/** One token with where music21 places it (for inspection and tests). */
export interface SeedEvent {
  token: string;
  /** Quantized onset, in quarter notes. */
  offsetQuarters: number;
  /** Quantized duration after splitting at barlines, in quarter notes. */
  durationQuarters: number;
  /** The MIDI track it came from. */
  track: number;
}

/** music21's `nearestMultiple`: the multiple of `unit` nearest to `value`; exactly halfway goes down. */
function nearestMultiple(value: number, unit: number): number {
  const low = unit * Math.floor(value / unit);
  return value - low > unit / 2 + 1e-9 ? low + unit : low;
}

/** Quantizes `quarters` to the nearer of the 1/4 and 1/3 grids, in 1/96 quarters. */
function quantizeQuarters(quarters: number, zeroAllowed: boolean): number {
  let bestUnits = 0;
  let bestError = Number.POSITIVE_INFINITY;
  // On equal error music21 prefers the smaller grid step (1/4), which comes first here.
  for (const div of [4, 3]) {
    const unit = 1 / div;
    let match = nearestMultiple(quarters, unit);
    if (!zeroAllowed && match === 0) match = unit;
    const error = Math.abs(quarters - match);
    if (error < bestError - 1e-12) {
      bestError = error;
      bestUnits = Math.round(match * UNITS_PER_QUARTER);
    }
  }
  return bestUnits;
}

/** Barline offsets (1/96 quarters) up to `endUnits`, from the time signatures (4/4 when none). */
function barlines(ppq: number, signatures: readonly TimeSignatureEvent[], endUnits: number): number[] {
  const sigs = [...signatures].sort((a, b) => a.ticks - b.ticks);
  const at = (s: TimeSignatureEvent): number => Math.round((s.ticks / ppq) * UNITS_PER_QUARTER);
  const lengthOf = (s: TimeSignatureEvent | undefined): number =>
    s
      ? Math.max(1, Math.round((s.numerator * 4 * UNITS_PER_QUARTER) / s.denominator))
      : 4 * UNITS_PER_QUARTER;
  const bars: number[] = [];
  let pos = 0;
  let sig = -1;
  while (pos < endUnits) {
    while (sig + 1 < sigs.length && at(sigs[sig + 1]!) <= pos) sig++;
    let next = pos + lengthOf(sigs[sig] ?? sigs[0]);
    // A time signature inside a bar starts a new bar there.
    const change = sigs[sig + 1];
    if (change && at(change) > pos && at(change) < next) next = at(change);
    bars.push(next);
    pos = next;
  }
  return bars;
}

/** Groups one track's notes (in file order) into music21's notes and chords, quantized. */
function trackElements(
  notes: SmfScore['tracks'][number]['notes'],
  ppq: number,
  track: number,
): SeedElement[] {
  const sorted = [...notes].sort((a, b) => a.startTicks - b.startTicks);
  const tolerance = ppq / 4;
  const gathered = new Uint8Array(sorted.length);
  const out: SeedElement[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (gathered[i]) continue;
    const first = sorted[i]!;
    const pitches = [first.pitch];
    let lastIndex = i;
    for (let j = i + 1; j < sorted.length; j++) {
      const other = sorted[j]!;
      if (Math.abs(other.startTicks - first.startTicks) >= tolerance) break;
      // A different release puts the note in another voice, not in this chord.
      if (Math.abs(other.endTicks - first.endTicks) > tolerance) continue;
      pitches.push(other.pitch);
      gathered[j] = 1;
      lastIndex = j;
    }
    // music21 times a chord by its last note (midiEventsToChord keeps the loop's last on/off times).
    const lastNote = sorted[lastIndex]!;
    const lengthQuarters = (lastNote.endTicks - lastNote.startTicks) / ppq;
    out.push({
      offset: quantizeQuarters(first.startTicks / ppq, true),
      duration: lengthQuarters > 0 ? quantizeQuarters(lengthQuarters, false) : 0,
      pitches,
      track,
      order: out.length,
      continued: false,
    });
  }
  return out;
}

/** The token of a note or chord. */
function elementToken(pitches: readonly number[]): string {
  return pitches.length === 1 ? pitchName(pitches[0]!) : normalOrder(pitches).join('.');
}

/**
 * Splits one track's elements at barlines as music21's `makeTies` does, bar by bar: a bar holds
 * its own elements (by offset, then file order), then the continuations the previous bar produced
 * (in the order it produced them). Returns the pieces with `order` = their place in that sequence.
 */
function tieTrack(elements: readonly SeedElement[], bars: readonly number[]): SeedElement[] {
  const sorted = [...elements].sort((a, b) => a.offset - b.offset || a.order - b.order);
  const out: SeedElement[] = [];
  let pending: SeedElement[] = [];
  let i = 0;
  let rank = 0;
  while (i < sorted.length || pending.length > 0) {
    // The next bar with anything in it: the pending continuations' bar, or the next element's.
    const bar =
      pending.length > 0 ? upperBound(bars, pending[0]!.offset) : upperBound(bars, sorted[i]!.offset);
    const barEnd = bars[bar] ?? Number.POSITIVE_INFINITY;
    const own: SeedElement[] = [];
    while (i < sorted.length && sorted[i]!.offset < barEnd) own.push(sorted[i++]!);
    // Stable: at the bar's first offset its own elements come before the continuations.
    const items = [...own, ...pending].sort((a, b) => a.offset - b.offset);
    pending = [];
    for (const item of items) {
      const end = item.offset + item.duration;
      if (end > barEnd) {
        out.push({ ...item, duration: barEnd - item.offset, order: rank++ });
        pending.push({ ...item, offset: barEnd, duration: end - barEnd, continued: true });
      } else out.push({ ...item, order: rank++ });
    }
  }
  return out;
}

/** The score's music21 notes and chords in music21's order, with their quantized places. */
export function seedEvents(score: SmfScore): SeedEvent[] {
  const parts = new Map<number, SeedElement[]>();
  let endUnits = 0;
  score.tracks.forEach((track, index) => {
    // Channel 10 notes become unpitched percussion in music21, which the tool never tokenized.
    const notes = track.notes.filter((n) => n.channel !== 9);
    if (notes.length === 0) return;
    let part = parts.get(track.program);
    if (!part) parts.set(track.program, (part = []));
    for (const e of trackElements(notes, score.ppq, index)) {
      part.push(e);
      endUnits = Math.max(endUnits, e.offset + e.duration);
    }
  });
  const bars = barlines(score.ppq, score.timeSignatures, endUnits);
  const events: SeedEvent[] = [];
  for (const elements of parts.values()) {
    const byTrack = new Map<number, SeedElement[]>();
    for (const e of elements) {
      let list = byTrack.get(e.track);
      if (!list) byTrack.set(e.track, (list = []));
      list.push(e);
    }
    const pieces: SeedElement[] = [];
    for (const list of byTrack.values()) pieces.push(...tieTrack(list, bars));
    // music21 sorts grace notes (no duration) first at an offset, then by insertion: track, then the track's own order.
    pieces.sort(
      (a, b) =>
        a.offset - b.offset ||
        Number(a.duration > 0) - Number(b.duration > 0) ||
        a.track - b.track ||
        a.order - b.order,
    );
    for (const p of pieces)
      events.push({
        token: elementToken(p.pitches),
        offsetQuarters: p.offset / UNITS_PER_QUARTER,
        durationQuarters: p.duration / UNITS_PER_QUARTER,
        track: p.track,
      });
  }
  return events;
}

/** The seed rules' view of a Song: notes of one tick in pitch order (a file's own order is lost). */
export function seedScoreOfSong(song: Song): SmfScore {
  const tracks: SmfScore['tracks'] = song.tracks.map((t) => ({
    program: t.isDrum ? -2 : t.program,
    notes: [],
  }));
  for (const n of song.notes) {
    while (tracks.length <= n.track) tracks.push({ program: 0, notes: [] });
    if (song.tracks[n.track]?.isDrum) continue;
    tracks[n.track]!.notes.push({
      pitch: n.pitch,
      startTicks: n.startTicks,
      endTicks: n.endTicks,
      channel: n.channel,
    });
  }
  return {
    ppq: song.ppq,
    tracks: tracks.filter((t) => t.program !== -2),
    timeSignatures: song.timeSignatures,
  };
}

/** The `seed` (music21-compatible) tokenizer. */
export class SeedTokenizer implements Tokenizer {
  readonly kind = 'seed' as const;

  /** The song as music21 note and chord names (same-tick notes of one track in pitch order). */
  encode(song: Song): string[] {
    return seedEvents(seedScoreOfSong(song)).map((e) => e.token);
  }

  /** A MIDI file's bytes as music21 note and chord names, exactly in music21's order. Throws `MidiParseError`. */
  encodeMidi(bytes: Uint8Array, file?: string): string[] {
    return seedEvents(readSmfNotes(bytes, file)).map((e) => e.token);
  }

  /**
   * A song that plays the tokens as the original tool did: one event per quarter note, each a
   * quarter long; a note at its named pitch, a chord's pitch classes stacked upwards from middle C.
   */
  decode(tokens: readonly string[], options: DecodeOptions = {}): Song {
    const song = emptySong(options.ppq ?? 480);
    song.tempos = [{ ticks: 0, bpm: options.bpm ?? 120 }];
    const velocity = options.velocity ?? 80;
    let at = 0;
    for (const token of tokens) {
      const pitches = seedTokenPitches(token);
      if (pitches.length === 0) continue;
      for (const pitch of pitches)
        song.notes.push({ pitch, velocity, startTicks: at, endTicks: at + song.ppq, track: 0, channel: 0 });
      at += song.ppq;
    }
    song.notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
    return song;
  }
}

/** The MIDI pitches a seed token stands for ([] for a malformed one). */
export function seedTokenPitches(token: string): number[] {
  const named = parsePitchName(token);
  if (named !== undefined) return [named];
  if (!/^\d+(\.\d+)*$/.test(token)) return [];
  const pcs = token.split('.').map(Number);
  if (pcs.some((pc) => pc > 11)) return [];
  const out: number[] = [];
  let last = 59;
  for (const pc of pcs) {
    let p = 60 + pc;
    while (p <= last) p += 12;
    out.push(p);
    last = p;
  }
  return out;
}

/** Index of the first element of `sorted` greater than `value`. */
function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

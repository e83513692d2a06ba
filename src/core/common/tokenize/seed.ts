/**
 * The `seed` tokenizer: the original research tool's music21-based extraction, reproduced
 * token for token. Each note becomes its pitch name with octave (`E-4`), each chord its
 * pitch classes in normal order joined by '.' (`4.7.11`). The rules follow music21 9's MIDI
 * import (`midi/translate.py`) and `instrument.partitionByInstrument`:
 *
 * 1. Per track, in file order, notes whose onsets lie less than 1/4 quarter after a first
 *    note (raw ticks) and whose releases lie within 1/4 quarter of its release join its chord,
 *    which lasts as long as its last note.
 * 2. Onsets are quantized to the nearest multiple of 1/4 or 1/3 quarter (smaller error wins, ties
 *    go to 1/4, exactly halfway rounds down); durations likewise, but first preferring a grid that
 *    fills the gap to the track's next onset (music21's look-ahead); a sounding note's duration
 *    never becomes zero.
 * 3. A note or chord that crosses a barline is split there (music21's ties); each piece is a
 *    token. The continuation sorts after the bar's own notes at the same offset. In a track that
 *    needs voices, bars with overlapping elements get voices, which changes the continuations'
 *    order, leaves some unsplit and can make a bar, and so the rest of the track, longer (`tieTrack`);
 *    so can a split chord in any bar when music21 cached every bar's length (`storedAtEnd`).
 * 4. Tracks merge into parts by instrument name (`seedInstruments.ts`: track names and program
 *    changes as music21 names them), interleaved by offset, then track, then the track's order;
 *    parts follow each other in order of their name's first appearance (`partitionByInstrument`).
 *
 * Sustain is ignored, as music21 ignores the pedal. The note order within one tick comes from
 * the file, so `encodeMidi` (raw bytes) is exact where `encode` (a Song, sorted by pitch) may
 * order same-tick notes of one hand differently.
 */
import type { Song, TimeSignatureEvent } from '../song/song';
import { emptySong } from '../song/song';
import type { DecodeOptions, Tokenizer } from './types';
import { normalOrder, parsePitchName, pitchName } from './pitch';
import type { SeedInstrument } from './seedInstruments';
import { trackInstruments } from './seedInstruments';
import type { SeedScore } from './seedScore';
import { seedScoreOfMidi, seedScoreOfSong } from './seedScore';

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

/** music21's `nearestMultiple`: [match, unsigned error rounded to 7 places]; exactly halfway goes down. */
function nearestMultiple(value: number, unit: number): [number, number] {
  const mult = Math.floor(value / unit);
  const low = unit * mult;
  const high = unit * (mult + 1);
  return value <= low + unit / 2 ? [low, round7(value - low)] : [high, round7(high - value)];
}

function round7(x: number): number {
  return Math.round(x * 1e7) / 1e7;
}

/**
 * music21's `quantize` `bestMatch` over the 1/4 and 1/3 grids, in 1/96 quarters: the least
 * (remaining gap, error, grid step) wins. `gap` (quarters) is the distance from the element's
 * quantized onset to the next later onset in its track: a grid that divides it leaves no gap; on
 * another grid the duration leaves `gap - match` unfilled (music21 v7's look-ahead, which keeps
 * a note from stopping short of the next one). Floats as Python computes them: `1 % (1/3)` is
 * not 0, so only a 1/4 grid or a power-of-two multiple of 1/3 counts as dividing a gap.
 */
function quantizeQuarters(quarters: number, zeroAllowed: boolean, gap = 0): number {
  let best: [number, number, number, number] | undefined;
  for (const div of [4, 3]) {
    const tick = 1 / div;
    let [match, error] = nearestMultiple(quarters, tick);
    if (!zeroAllowed && match === 0) {
      match = tick;
      error = Math.abs(round7(quarters - match));
    }
    const remaining = gap % tick === 0 ? 0 : Math.max(gap - match, 0);
    const key: [number, number, number, number] = [remaining, error, tick, match];
    if (
      !best ||
      key[0] < best[0] ||
      (key[0] === best[0] && (key[1] < best[1] || (key[1] === best[1] && key[2] < best[2])))
    )
      best = key;
  }
  return Math.round(best![3] * UNITS_PER_QUARTER);
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

/**
 * Groups one track's notes (in file order) into music21's notes and chords, quantized; also says
 * whether music21 marks the track as needing voices (a note left out of a chord for its release).
 */
function trackElements(
  track: SeedScore['tracks'][number],
  ppq: number,
  index: number,
): { elements: SeedElement[]; voicesRequired: boolean } {
  const notes = track.notes;
  const tolerance = ppq / 4;
  const gathered = new Uint8Array(notes.length);
  const raw: { start: number; length: number; pitches: number[]; drum: boolean }[] = [];
  let voicesRequired = false;
  for (let i = 0; i < notes.length; i++) {
    if (gathered[i]) continue;
    const first = notes[i]!;
    const pitches = [first.pitch];
    let drum = first.channel === 9;
    let lastIndex = i;
    // As midiTrackToStream: later notes (gathered or not) starting within the tolerance join the
    // chord if they end within it too; a different release puts the note in another voice.
    for (let j = i + 1; j < notes.length; j++) {
      const other = notes[j]!;
      if (Math.abs(other.startTicks - first.startTicks) >= tolerance) break;
      if (Math.abs(other.endTicks - first.endTicks) > tolerance) {
        voicesRequired = true;
        continue;
      }
      pitches.push(other.pitch);
      drum ||= other.channel === 9;
      gathered[j] = 1;
      lastIndex = j;
    }
    // music21 times a chord by its last note (midiEventsToChord keeps the loop's last on/off times).
    const lastNote = notes[lastIndex]!;
    raw.push({
      start: first.startTicks / ppq,
      length: (lastNote.endTicks - lastNote.startTicks) / ppq,
      pitches,
      drum,
    });
  }
  // quantize() looks ahead to the next onset in the track's stream, meta objects included.
  const onsets = [...raw.map((r) => r.start), ...(track.metaTicks ?? []).map((t) => t / ppq)]
    .map((o) => quantizeQuarters(o, true))
    .sort((a, b) => a - b);
  const out: SeedElement[] = [];
  let cursor = 0;
  const sorted = raw
    .map((r, k) => ({ r, k }))
    .sort((a, b) => a.r.start - b.r.start || Number(a.r.length > 0) - Number(b.r.length > 0) || a.k - b.k);
  for (const { r } of sorted) {
    const offset = quantizeQuarters(r.start, true);
    while (cursor < onsets.length && onsets[cursor]! <= offset) cursor++;
    const gap = cursor < onsets.length ? (onsets[cursor]! - offset) / UNITS_PER_QUARTER : 0;
    const duration = r.length > 0 ? quantizeQuarters(r.length, false, gap) : 0;
    // A chord with a channel-10 note is a PercussionChord, which the tool never tokenized.
    if (r.drum) continue;
    out.push({ offset, duration, pitches: r.pitches, track: index, order: out.length, continued: false });
  }
  return { elements: out, voicesRequired };
}

/** The token of a note or chord. */
function elementToken(pitches: readonly number[]): string {
  return pitches.length === 1 ? pitchName(pitches[0]!) : normalOrder(pitches).join('.');
}

/**
 * The number of voices music21's `makeVoices` makes for a measure: the size of the largest group
 * `getOverlaps` forms (1 when nothing overlaps). `_findLayering` links every two elements whose
 * spans overlap (a later start before an earlier end; a grace note inside a sounding note counts);
 * `_consolidateLayering` then gathers each element's partners into the group that already holds
 * one of them, or into a new group at the element's offset, one element at a time. A group can so
 * be smaller than the most elements sounding at once; `makeVoices` then finds no free voice for
 * some element and drops it.
 */
function voiceCount(elements: readonly SeedElement[]): number {
  const spans = elements.map((e) => [e.offset, e.offset + e.duration] as const);
  const partners: number[][] = elements.map(() => []);
  for (let i = 0; i < spans.length; i++)
    for (let j = i + 1; j < spans.length; j++) {
      const [first, second] = [spans[i]!, spans[j]!].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      if (!(second![0] < first![1])) break;
      partners[i]!.push(j);
      partners[j]!.push(i);
    }
  const groups = new Map<number, number[]>();
  const groupOf = (k: number): number | undefined => {
    for (const [key, list] of groups) if (list.includes(k)) return key;
    return undefined;
  };
  partners.forEach((indices, i) => {
    if (indices.length === 0) return;
    indices.sort((x, y) => x - y);
    let key: number | undefined;
    for (const j of indices) {
      const found = groupOf(j);
      if (found !== undefined) key = found;
      key ??= spans[i]![0];
      if (found === undefined) {
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key)!.push(j);
      }
    }
    if (groupOf(i) === undefined) {
      key ??= spans[i]![0];
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(i);
    }
  });
  return Math.max(1, ...[...groups.values()].map((g) => g.length));
}

/** One of music21's voices in a measure, with what its cached `highestTime` would say. */
interface Voice {
  elements: SeedElement[];
  /** Latest end of its elements, in 1/96 quarters (what its `highestTime` computes). */
  end: number;
  /** True when music21 has cached `highestTime` since the last insertion into this voice. */
  cached: boolean;
}

/**
 * music21's `makeVoices`: `count` voices; each element (by offset) goes to the first voice that
 * has ended by its onset, and one that finds none is dropped (removed from the measure, put
 * nowhere). Asking a voice for its end caches it; inserting into it clears the cache. Inserting
 * the second voice into the measure asks the first voice for its end too. Returns the voices
 * that got elements, and the dropped elements.
 */
function makeVoices(
  own: readonly SeedElement[],
  count: number,
  asksFirst: boolean,
  barStart: number,
): { voices: Voice[]; dropped: Set<SeedElement> } {
  const all: Voice[] = Array.from({ length: count }, () => ({ elements: [], end: 0, cached: false }));
  const unsorted = new Set<Voice>();
  const dropped = new Set<SeedElement>();
  for (const e of own) {
    const target = all.find((v) => {
      v.cached = true;
      return v.end <= e.offset;
    });
    if (!target) {
      dropped.add(e);
      continue;
    }
    // Stream.insert takes the offset as a float and compares it with the voice's exact end: an
    // element at a third where the voice ends, whose float lies below it, leaves the voice unsorted.
    if (target.elements.length > 0 && target.end === e.offset && floatBelow(e.offset - barStart))
      unsorted.add(target);
    target.elements.push(e);
    target.end = Math.max(target.end, e.offset + e.duration);
    target.cached = false;
  }
  const voices = all.filter((v) => v.elements.length > 0);
  if (voices.length > 1 && asksFirst) voices[0]!.cached = true;
  // makeTies starts by reading the part's time signatures through every measure and voice, which
  // sorts an unsorted voice and so clears its cached end.
  for (const v of unsorted) v.cached = false;
  return { voices, dropped };
}

/** True when `makeRests` would insert a rest into the voice (a gap before or between its elements), which clears its cache. */
function voiceHasGap(v: Voice, barStart: number): boolean {
  let end = barStart;
  for (const e of [...v.elements].sort((a, b) => a.offset - b.offset)) {
    if (e.offset > end) return true;
    end = Math.max(end, e.offset + e.duration);
  }
  return false;
}

/**
 * Splits one track's elements at barlines as music21's MIDI import does (`makeMeasures`, then
 * `makeVoices` per measure when the track needs voices, `makeTies`, then `makeRests`, which lays
 * the measures end to end by their `highestTime`). Bar by bar, a measure holds its own elements
 * (by offset, then file order), then the continuations the previous bar produced. Two music21
 * quirks move later bars, and both are reproduced:
 * - a continuation from a measure with voices into another measure with voices is inserted
 *   outside the voices, where `makeTies` never looks again: it is not split at the next barline;
 * - a measure with voices keeps the full length of a chord it split when that voice's end was
 *   cached (see `makeVoices`), so the measure, and with it every later one of the track, lasts
 *   longer; the continuations leave such a measure voice by voice.
 * Returns the pieces with `order` = their place in that sequence and offsets after the shift, and
 * the shift of the measure holding a given offset (1/96 quarters).
 */
function tieTrack(
  elements: readonly SeedElement[],
  bars: readonly number[],
  voicesRequired: boolean,
  metas: readonly number[],
): { pieces: SeedElement[]; shiftAt: (units: number) => number } {
  const allCached = storedAtEnd(elements, metas, bars);
  let m = 0;
  // A measure keeps music21's sort: by offset, grace notes (no duration) first, then insertion.
  const sorted = [...elements].sort(
    (a, b) => a.offset - b.offset || Number(a.duration > 0) - Number(b.duration > 0) || a.order - b.order,
  );
  const out: SeedElement[] = [];
  let pending: SeedElement[] = [];
  let previousHadVoices = false;
  let i = 0;
  let rank = 0;
  let shift = 0;
  const barShifts: number[] = [];
  for (let bar = 0; i < sorted.length || pending.length > 0; bar++) {
    barShifts.push(shift);
    const barStart = bar === 0 ? 0 : barEnd(bars, bar - 1);
    const barLength = barEnd(bars, bar) - barStart;
    let own: SeedElement[] = [];
    while (i < sorted.length && sorted[i]!.offset < barStart + barLength) own.push(sorted[i++]!);
    const ownMetas: number[] = [];
    while (m < metas.length && metas[m]! < barStart) m++;
    for (let k = m; k < metas.length && metas[k]! < barStart + barLength; k++)
      ownMetas.push(metas[k]! - barStart);
    // Inserting the second voice asks the measure's highestTime, and so the first voice's, only
    // while the measure is still sorted: no meta object (tempo, key…) left in it after offset 0.
    const count = voicesRequired ? voiceCount(own) : 1;
    const { voices, dropped } =
      count > 1
        ? makeVoices(
            own,
            count,
            ownMetas.every((o) => o === 0),
            barStart,
          )
        : { voices: [], dropped: new Set<SeedElement>() };
    if (dropped.size > 0) own = own.filter((e) => !dropped.has(e));
    const ownVoices = voices.length > 1;
    // A continuation from a voiced measure makes this one voiced too (moveNotesToVoices).
    const hasVoices: boolean = ownVoices || (previousHadVoices && pending.length > 0);
    // Between two voiced measures makeTies inserts the continuation outside the voices.
    const loose = previousHadVoices && ownVoices ? pending : [];
    const split = loose.length > 0 ? own : [...own, ...pending];
    if (ownVoices && loose.length === 0 && pending.length > 0) {
      // Continuations go into the first voice, which clears its cache.
      voices[0]!.elements.push(...pending);
      voices[0]!.cached = false;
    }
    // makeTies inserts a loose continuation into the (sorted) measure, which asks its highestTime
    // and so caches every voice's end before this measure's own splits.
    if (loose.length > 0) for (const v of voices) v.cached = true;
    const voiceOf = new Map<SeedElement, Voice>();
    for (const v of voices) {
      if (voiceHasGap(v, barStart)) v.cached = false;
      for (const e of v.elements) voiceOf.set(e, v);
    }
    // Stable: at the bar's first offset its own elements come before the continuations. A voiced
    // measure is read voice by voice (each voice's own elements, then what makeTies put into it),
    // then its loose elements: that is the order music21's flattened part keeps at one offset.
    const byOffset = (list: readonly SeedElement[]): SeedElement[] =>
      [...list].sort((a, b) => a.offset - b.offset);
    const items = ownVoices
      ? [...voices.flatMap((v) => byOffset(v.elements)), ...loose]
      : byOffset([...split, ...loose]);
    const next: SeedElement[] = [];
    const sourceOf: SeedElement[] = [];
    let highest = barLength;
    // A split note tells its voice (and measure) that its duration changed; a split chord does not.
    const noteSplit = new Set<Voice | undefined>();
    const staleChords: SeedElement[] = [];
    for (const item of items) {
      const start = item.offset - barStart;
      const end = start + item.duration;
      const placed = { ...item, offset: item.offset + shift, order: rank++ };
      if (end > barLength && !loose.includes(item)) {
        out.push({ ...placed, duration: barLength - start });
        next.push({ ...item, offset: barStart + barLength, duration: end - barLength, continued: true });
        sourceOf.push(item);
        // Shortening a chord does not clear its voice's cached end (a note's does), so the measure
        // keeps the chord's full length and every later measure of the track moves by the excess.
        const voice = voiceOf.get(item);
        if (item.pitches.length === 1) noteSplit.add(voice);
        else staleChords.push(item);
      } else {
        out.push(placed);
        highest = Math.max(highest, end);
      }
    }
    for (const chord of staleChords) {
      const voice = voiceOf.get(chord);
      if (voice?.cached && !noteSplit.has(voice)) highest = Math.max(highest, voice.end - barStart);
    }
    // The same for a measure without voices, when makeMeasures cached every measure's end and
    // nothing since has cleared this one's: no continuation, rest or split note went into it.
    if (
      allCached &&
      voices.length === 0 &&
      pending.length === 0 &&
      staleChords.length > 0 &&
      !noteSplit.has(undefined) &&
      keepsCachedEnd(own, ownMetas, barStart)
    )
      for (const e of own) highest = Math.max(highest, e.offset + e.duration - barStart);
    // makeTies walks voice by voice, so continuations leave a voiced measure in voice order.
    const voiceIndex = (e: SeedElement): number => {
      const v = voiceOf.get(e);
      return v ? voices.indexOf(v) : 0;
    };
    pending = next
      .map((e, k) => ({ e, k, v: voiceIndex(sourceOf[k]!) }))
      .sort((a, b) => a.v - b.v || a.k - b.k)
      .map((x) => x.e);
    previousHadVoices = hasVoices;
    shift += highest - barLength;
  }
  const shiftAt = (units: number): number => {
    let bar = 0;
    while (bar < barShifts.length && barEnd(bars, bar) <= units) bar++;
    return bar < barShifts.length ? barShifts[bar]! : shift;
  };
  return { pieces: out, shiftAt };
}

/**
 * True when makeMeasures stores one of the track's zero-length elements "at end": its last
 * offset (the latest end of anything in the track) falls on a barline and something without
 * duration sits there. Placing it asks the part for its highestTime, which asks, and caches, the
 * highestTime of every measure, already filled.
 */
function storedAtEnd(
  elements: readonly SeedElement[],
  metas: readonly number[],
  bars: readonly number[],
): boolean {
  let last = 0;
  for (const e of elements) last = Math.max(last, e.offset + e.duration);
  for (const m of metas) last = Math.max(last, m);
  if (last === 0) return false;
  if (!metas.includes(last) && !elements.some((e) => e.duration === 0 && e.offset === last)) return false;
  for (let k = 0; ; k++) {
    const end = barEnd(bars, k);
    if (end >= last) return end === last;
  }
}

/**
 * True when a measure keeps its cached highestTime through makeTies and makeRests. makeMeasures
 * fills a measure in offset order (meta objects first at an offset) and, before each insertion,
 * asks it for its clef, which re-sorts it if the previous insertion came before the end of what
 * was there; so only an out-of-order last insertion leaves it unsorted, and makeTies then sorts
 * it, which clears the cache. A gap gets a rest from makeRests, which clears it too. Offsets in
 * 1/96 quarters; `metas` are relative to the bar start.
 */
function keepsCachedEnd(own: readonly SeedElement[], metas: readonly number[], barStart: number): boolean {
  const items = [
    ...metas.map((o) => ({ start: o, end: o, rank: 0 })),
    ...own.map((e) => ({ start: e.offset - barStart, end: e.offset - barStart + e.duration, rank: 1 })),
  ].sort((a, b) => a.start - b.start || a.rank - b.rank);
  let end = 0;
  for (const [k, item] of items.entries()) {
    if (item.start > end) return false;
    if (k === items.length - 1 && end > 0) {
      // Inserting where the measure ends keeps it sorted, but makeMeasures computes that offset
      // in floats (the element's offset minus the bar's): a third whose float lies below it reads
      // as before the end.
      if (item.start < end || floatBelow(barStart + item.start)) return false;
    }
    end = Math.max(end, item.end);
  }
  return true;
}

/** True when the double nearest to `units` / 96 quarters lies below it (Python's float of that Fraction). */
function floatBelow(units: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, units / UNITS_PER_QUARTER);
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const mantissa = (bits & ((1n << 52n) - 1n)) | (exponentBits ? 1n << 52n : 0n);
  // The double is mantissa · 2^exponent; compare it with units / 96 exactly.
  const exponent = (exponentBits || 1) - 1075;
  const scaled = mantissa * BigInt(UNITS_PER_QUARTER);
  const target = BigInt(units);
  return exponent >= 0 ? scaled << BigInt(exponent) < target : scaled < target << BigInt(-exponent);
}

/** The end of bar `index` (1/96 quarters), extending the last bar length past the list. */
function barEnd(bars: readonly number[], index: number): number {
  if (index < bars.length) return bars[index]!;
  const last = bars[bars.length - 1] ?? 0;
  const length = bars.length >= 2 ? last - bars[bars.length - 2]! : last || 4 * UNITS_PER_QUARTER;
  return last + (index - bars.length + 1) * length;
}

/** The score's music21 notes and chords in music21's order, with their quantized places. */
export function seedEvents(score: SeedScore): SeedEvent[] {
  let endUnits = 0;
  const quantized = (ticks: number): number => quantizeQuarters(ticks / score.ppq, true);
  // Tracks without notes make the conductor part, whose tempo, key and time signatures go into
  // every later part's measures.
  const conductor: number[] = [];
  const noteTracks: {
    elements: SeedElement[];
    voicesRequired: boolean;
    metas: number[];
    instruments: SeedInstrument[];
  }[] = [];
  score.tracks.forEach((track, index) => {
    if (track.notes.length === 0) {
      conductor.push(...(track.conductorTicks ?? []));
      return;
    }
    const { elements, voicesRequired } = trackElements(track, score.ppq, index);
    const metas = [...conductor, ...(track.metaTicks ?? [])].map(quantized).sort((a, b) => a - b);
    for (const e of elements) endUnits = Math.max(endUnits, e.offset + e.duration);
    const events =
      track.instruments ??
      (track.program >= 0 ? [{ ticks: 0, kind: 'program' as const, program: track.program }] : []);
    noteTracks.push({ elements, voicesRequired, metas, instruments: trackInstruments(events) });
  });
  const bars = barlines(score.ppq, score.timeSignatures, endUnits);
  const parts = partitionByInstrument(
    noteTracks.map((t) => {
      const { pieces, shiftAt } = tieTrack(t.elements, bars, t.voicesRequired, t.metas);
      // An instrument sits in the measure of its quantized offset, which moves with that measure.
      const spans = t.instruments.map((i) => {
        const offset = quantized(i.ticks);
        return { offset: offset + shiftAt(offset), key: i.instrumentName ?? '' };
      });
      return { pieces, spans };
    }),
  );
  const events: SeedEvent[] = [];
  for (const pieces of parts) {
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

/**
 * music21's `instrument.partitionByInstrument` over the tracks' pieces: one part per instrument
 * name, in order of first appearance (tracks in order, each track's instruments by offset). Each
 * instrument of a track takes the track's elements from its offset up to the next instrument's;
 * several at one offset leave all but the last an empty span, which still takes elements without
 * duration there. Elements before a track's first instrument, or in a track without any, belong to
 * no part. With no instrument in any track, music21 returns the tracks unpartitioned.
 */
function partitionByInstrument(
  tracks: readonly { pieces: SeedElement[]; spans: readonly { offset: number; key: string }[] }[],
): SeedElement[][] {
  if (tracks.every((t) => t.spans.length === 0)) return tracks.map((t) => [...t.pieces]);
  const parts = new Map<string, SeedElement[]>();
  for (const t of tracks) for (const span of t.spans) if (!parts.has(span.key)) parts.set(span.key, []);
  for (const { pieces, spans } of tracks)
    for (const piece of pieces) {
      let last = -1;
      while (last + 1 < spans.length && spans[last + 1]!.offset <= piece.offset) last++;
      if (last < 0) continue;
      const keys = new Set([spans[last]!.key]);
      if (piece.duration === 0)
        for (const span of spans) if (span.offset === piece.offset) keys.add(span.key);
      for (const key of keys) parts.get(key)!.push(piece);
    }
  return [...parts.values()];
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
    return seedEvents(seedScoreOfMidi(bytes, file)).map((e) => e.token);
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

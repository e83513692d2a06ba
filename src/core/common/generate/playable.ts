/**
 * Makes a decoded song safe to write and play: every note inside the piano's range, none of
 * zero length, no two sounding notes of the same pitch on one channel at once, a tempo and a
 * time signature at tick 0. Decoders may produce any of those from unusual token runs.
 */
import type { Note, Song } from '../song/song';
import { compareNotes, DEFAULT_BPM } from '../song/song';

/** Lowest piano key, A0. */
export const PIANO_LOWEST = 21;
/** Highest piano key, C8. */
export const PIANO_HIGHEST = 108;

/** What `makePlayable` changed, for the sidecar. */
export interface PlayableReport {
  /** Notes moved by octaves into the piano range. */
  foldedNotes: number;
  /** Zero-length notes given a short length. */
  lengthenedNotes: number;
  /** Notes cut short because the same pitch struck again. */
  trimmedNotes: number;
  /** Exact duplicates (same pitch, channel and onset) dropped. */
  droppedDuplicates: number;
}

/** A copy of `song` that meets the written-MIDI rules, and what was changed. */
export function makePlayable(song: Song): { song: Song; report: PlayableReport } {
  const report: PlayableReport = { foldedNotes: 0, lengthenedNotes: 0, trimmedNotes: 0, droppedDuplicates: 0 };
  // A 32nd note: long enough to sound, short enough not to change the rhythm.
  const minTicks = Math.max(1, Math.round(song.ppq / 8));
  const notes: Note[] = song.notes.map((n) => {
    let pitch = n.pitch;
    while (pitch < PIANO_LOWEST) pitch += 12;
    while (pitch > PIANO_HIGHEST) pitch -= 12;
    if (pitch !== n.pitch) report.foldedNotes++;
    let endTicks = n.endTicks;
    if (endTicks <= n.startTicks) {
      endTicks = n.startTicks + minTicks;
      report.lengthenedNotes++;
    }
    const velocity = Math.min(127, Math.max(1, Math.round(n.velocity)));
    return { ...n, pitch, endTicks, velocity };
  });
  notes.sort(compareNotes);

  const kept: Note[] = [];
  const sounding = new Map<string, Note>();
  for (const n of notes) {
    const key = `${n.channel}:${n.pitch}`;
    const prev = sounding.get(key);
    if (prev && prev.endTicks > n.startTicks) {
      if (prev.startTicks === n.startTicks) {
        // Same key struck twice at once: one note, as long as the longer of the two.
        prev.endTicks = Math.max(prev.endTicks, n.endTicks);
        report.droppedDuplicates++;
        continue;
      }
      prev.endTicks = n.startTicks;
      report.trimmedNotes++;
    }
    kept.push(n);
    sounding.set(key, n);
  }

  const tempos = song.tempos.length && song.tempos[0]!.ticks === 0 ? song.tempos : [{ ticks: 0, bpm: song.tempos[0]?.bpm ?? DEFAULT_BPM }, ...song.tempos];
  const timeSignatures =
    song.timeSignatures.length && song.timeSignatures[0]!.ticks === 0
      ? song.timeSignatures
      : [{ ticks: 0, numerator: 4, denominator: 4 }, ...song.timeSignatures];
  const tracks = song.tracks.length ? song.tracks : [{ name: 'Piano', program: 0, channel: 0, isDrum: false }];
  return { song: { ...song, notes: kept, tempos, timeSignatures, tracks }, report };
}

/** Applies the sustain pedal (CC64) to note lengths, as a piano does. */
import type { Note, Song } from './song';
import { compareNotes } from './song';

/**
 * Returns a copy of `song` in which every note released while the pedal is down on its
 * track and channel lasts until the pedal is lifted (or until the same key is struck
 * again, which on a piano re-strikes the string). Pedal events are kept.
 */
export function applySustain(song: Song): Song {
  if (song.pedals.length === 0) return song;
  const byLane = new Map<string, { ticks: number; down: boolean }[]>();
  for (const p of song.pedals) {
    const key = `${p.track}:${p.channel}`;
    let lane = byLane.get(key);
    if (!lane) byLane.set(key, (lane = []));
    lane.push({ ticks: p.ticks, down: p.down });
  }
  for (const lane of byLane.values()) lane.sort((a, b) => a.ticks - b.ticks);

  /** The tick at which the pedal next lifts at or after `t`, or null if it is up at `t`. */
  const releaseAfter = (lane: { ticks: number; down: boolean }[], t: number): number | null => {
    let down = false;
    let i = 0;
    for (; i < lane.length && lane[i]!.ticks <= t; i++) down = lane[i]!.down;
    if (!down) return null;
    for (; i < lane.length; i++) if (!lane[i]!.down) return lane[i]!.ticks;
    return Number.POSITIVE_INFINITY;
  };

  const notes: Note[] = song.notes.map((n) => ({ ...n }));
  // Next onset of the same key on the same lane, to cut a sustained note when the key is struck again.
  const nextOnset = new Map<Note, number>();
  const lastByKey = new Map<string, Note>();
  const sorted = [...notes].sort(compareNotes);
  for (const n of sorted) {
    const key = `${n.track}:${n.channel}:${n.pitch}`;
    const prev = lastByKey.get(key);
    if (prev) nextOnset.set(prev, n.startTicks);
    lastByKey.set(key, n);
  }
  let songEnd = 0;
  for (const n of notes) songEnd = Math.max(songEnd, n.endTicks);
  for (const p of song.pedals) songEnd = Math.max(songEnd, p.ticks);

  for (const n of notes) {
    const lane = byLane.get(`${n.track}:${n.channel}`);
    if (!lane) continue;
    const release = releaseAfter(lane, n.endTicks);
    if (release === null) continue;
    let end = Number.isFinite(release) ? release : songEnd;
    const again = nextOnset.get(n);
    if (again !== undefined && again < end) end = Math.max(n.endTicks, again);
    n.endTicks = Math.max(n.endTicks, end);
  }
  notes.sort(compareNotes);
  return { ...song, notes };
}

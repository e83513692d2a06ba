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
  /** Per lane (track:channel): pedal ticks sorted, its state after each, and the next lift at or after each. */
  interface Lane {
    ticks: number[];
    down: boolean[];
    nextUp: number[];
  }
  const grouped = new Map<string, { ticks: number; down: boolean }[]>();
  for (const p of song.pedals) {
    const key = `${p.track}:${p.channel}`;
    let list = grouped.get(key);
    if (!list) grouped.set(key, (list = []));
    list.push({ ticks: p.ticks, down: p.down });
  }
  const byLane = new Map<string, Lane>();
  for (const [key, list] of grouped) {
    list.sort((a, b) => a.ticks - b.ticks);
    const nextUp = new Array<number>(list.length);
    let up = Number.POSITIVE_INFINITY;
    for (let i = list.length - 1; i >= 0; i--) {
      if (!list[i]!.down) up = list[i]!.ticks;
      nextUp[i] = up;
    }
    byLane.set(key, { ticks: list.map((e) => e.ticks), down: list.map((e) => e.down), nextUp });
  }

  /**
   * Where a note released at `t` really ends: null when the pedal does not hold it, else the tick
   * of the next lift. A lift at `t` itself damps the note (a pedal change at the moment of release
   * does not catch it), which also makes applying the pedal twice change nothing.
   */
  const releaseAfter = (lane: Lane, t: number): number | null => {
    // Last event strictly before t (binary search), then the events at t.
    let lo = 0;
    let hi = lane.ticks.length - 1;
    let before = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (lane.ticks[mid]! < t) {
        before = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    let down = before >= 0 && lane.down[before]!;
    let k = before + 1;
    for (; k < lane.ticks.length && lane.ticks[k] === t; k++) {
      if (!lane.down[k]) return null;
      down = true;
    }
    if (!down) return null;
    return k < lane.ticks.length ? lane.nextUp[k]! : Number.POSITIVE_INFINITY;
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

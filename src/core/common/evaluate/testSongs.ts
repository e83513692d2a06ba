/** Small hand-built songs for the evaluation tests. */
import type { Song } from '../song/song';
import { compareNotes, emptySong } from '../song/song';

/** A song from [pitch, start, length] triples in quarter notes, at `bpm` (default 120) and ppq 480. */
export function songOf(
  notes: [pitch: number, startQuarters: number, lengthQuarters: number][],
  bpm = 120,
): Song {
  const song = emptySong(480);
  song.tempos = [{ ticks: 0, bpm }];
  song.notes = notes
    .map(([pitch, start, length]) => ({
      pitch,
      velocity: 100,
      startTicks: Math.round(start * 480),
      endTicks: Math.round((start + length) * 480),
      track: 0,
      channel: 0,
    }))
    .sort(compareNotes);
  return song;
}

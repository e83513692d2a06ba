/** Finds the note under a point of the piano roll, for tooltips and clicks. */
import type { MidiNote, Ticks } from '../../../../core/common/units';
import type { NoteIndex } from './noteIndex';

/**
 * The index of the note that contains (`ticks`, `pitch`), or -1. When notes overlap, the one drawn
 * last (the latest start) wins, as it is the one on top.
 */
export function noteAt(index: NoteIndex, ticks: Ticks, pitch: MidiNote): number {
  let hit = -1;
  index.forEachVisible(ticks, ticks + 1e-9, pitch, pitch, (i) => {
    if (index.startTicks[i]! <= ticks) hit = i;
  });
  return hit;
}

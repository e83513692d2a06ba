/** The tempo in force at a moment of a song, for the transport. */
import type { TempoEvent } from '../../../../core/common/song/song';
import { DEFAULT_BPM } from '../../../../core/common/song/song';
import type { Bpm, Ticks } from '../../../../core/common/units';

/** Quarter notes per minute at tick `ticks` (tempos sorted by ticks): the last change at or before it; before the first, the first (as `TempoMap` times it). */
export function bpmAt(tempos: readonly TempoEvent[], ticks: Ticks): Bpm {
  let bpm = tempos[0]?.bpm ?? DEFAULT_BPM;
  for (const t of tempos) {
    if (t.ticks > ticks) break;
    bpm = t.bpm;
  }
  return bpm;
}

/** Note names and key colours for the piano keyboard. */
import type { MidiNote } from '../../../../core/common/units';

const NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

/** Scientific pitch name of a MIDI note: 60 -> 'C4', 61 -> 'C#4', 21 -> 'A0'. */
export function noteName(pitch: MidiNote): string {
  return `${NAMES[((pitch % 12) + 12) % 12]}${Math.floor(pitch / 12) - 1}`;
}

/** True for the black keys (C#, D#, F#, G#, A#). */
export function isBlackKey(pitch: MidiNote): boolean {
  const pc = ((pitch % 12) + 12) % 12;
  return pc === 1 || pc === 3 || pc === 6 || pc === 8 || pc === 10;
}

/** Pitch names as music21 spells MIDI pitches, and pitch-class sets in normal order. */
import type { MidiNote } from '../units';
import { MUSIC21_NORMAL_ORDER_STARTS } from './music21NormalOrder';

const NAMES = ['C', 'C#', 'D', 'E-', 'E', 'F', 'F#', 'G', 'G#', 'A', 'B-', 'B'] as const;

/** The name with octave music21 gives a MIDI pitch: 63 -> 'E-4', 66 -> 'F#4' (middle C = C4 = 60). */
export function pitchName(pitch: MidiNote): string {
  return `${NAMES[((pitch % 12) + 12) % 12]}${Math.floor(pitch / 12) - 1}`;
}

/**
 * The MIDI pitch of a music21 pitch name ('E-4' -> 63), or undefined when it is not one.
 * music21's spelling is ambiguous below octave 0 ('E-1' is both E-flat 1 and E in octave -1):
 * '-' after E or B reads as a flat, after any other letter as a minus sign.
 */
export function parsePitchName(name: string): MidiNote | undefined {
  const m = /^([A-G])(#|-(?=\d))?(-?\d+)$/.exec(name);
  if (!m) return undefined;
  const letter = m[1] as 'C' | 'D' | 'E' | 'F' | 'G' | 'A' | 'B';
  let accidental = m[2] ?? '';
  let octave = Number(m[3]);
  if (accidental === '-' && letter !== 'E' && letter !== 'B') {
    accidental = '';
    octave = -octave;
  }
  const base = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 }[letter];
  const alter = accidental === '#' ? 1 : accidental === '-' ? -1 : 0;
  const pitch = base + alter + (octave + 1) * 12;
  return pitch >= 0 && pitch <= 127 ? pitch : undefined;
}

/**
 * The pitch classes of `pitches` in normal order, as music21's `Chord.normalOrder` gives it: the
 * sorted set rotated to start where music21's Forte tables say. That is the rotation with the
 * smallest span, but music21 breaks ties its own way for 204 of the 4,095 sets (5-note sets and
 * larger, such as {0,1,3,7,8} -> 0 1 3 7 8, where Rahn's rule gives 7 8 0 1 3).
 */
export function normalOrder(pitches: readonly number[]): number[] {
  const pcs = [...new Set(pitches.map((p) => ((p % 12) + 12) % 12))].sort((a, b) => a - b);
  if (pcs.length <= 1) return pcs;
  const mask = pcs.reduce((m, pc) => m | (1 << pc), 0);
  const start = pcs.indexOf(parseInt(MUSIC21_NORMAL_ORDER_STARTS[mask - 1]!, 16));
  return [...pcs.slice(start), ...pcs.slice(0, start)];
}

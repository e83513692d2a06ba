/** Pitch names as music21 spells MIDI pitches, and pitch-class sets in normal order. */
import type { MidiNote } from '../units';

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
 * The pitch classes of `pitches` in normal order (the rotation of the sorted set with the
 * smallest span; ties broken by the smaller interval to the next-to-last note, then further
 * inwards (Rahn), then by the lowest starting pitch class), as music21's `Chord.normalOrder`.
 */
export function normalOrder(pitches: readonly number[]): number[] {
  const pcs = [...new Set(pitches.map((p) => ((p % 12) + 12) % 12))].sort((a, b) => a - b);
  const n = pcs.length;
  if (n <= 1) return pcs;
  let best: number[] | undefined;
  let bestKey: number[] | undefined;
  for (let r = 0; r < n; r++) {
    const rot = [...pcs.slice(r), ...pcs.slice(0, r)];
    // Intervals from the first note to the last, then to each earlier one: compared in that order.
    const key: number[] = [];
    for (let k = n - 1; k >= 1; k--) key.push((rot[k]! - rot[0]! + 12) % 12);
    key.push(rot[0]!);
    if (!bestKey || compareKeys(key, bestKey) < 0) {
      best = rot;
      bestKey = key;
    }
  }
  return best!;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The key a piece is in, estimated from its pitch classes, as the transport shows it ("E♭ major"). */
import type { Note } from '../../../../core/common/song/song';
import { bestScale } from '../../../../core/common/evaluate/pitch';

/** An estimated key. */
export interface EstimatedKey {
  /** Tonic pitch class, 0 = C. */
  tonic: number;
  mode: 'major' | 'minor';
}

/**
 * The key of `notes`, or null without notes: evaluate's best-fitting scale (`bestScale`), whose
 * notes a major key shares with its relative minor; which of the two it is goes by their tonic
 * triads, each note weighted by its length, so the chords the piece dwells on decide.
 */
export function estimateKey(notes: readonly Note[]): EstimatedKey | null {
  if (notes.length === 0) return null;
  const scale = bestScale(notes);
  const weight = new Array<number>(12).fill(0);
  for (const n of notes) weight[n.pitch % 12]! += Math.max(1, n.endTicks - n.startTicks);
  const triad = (root: number, third: number): number =>
    weight[root % 12]! * 2 + weight[(root + third) % 12]! + weight[(root + 7) % 12]!;
  const major = scale.mode === 'major' ? scale.tonic : (scale.tonic + 3) % 12;
  const minor = (major + 9) % 12;
  return triad(minor, 3) > triad(major, 4)
    ? { tonic: minor, mode: 'minor' }
    : { tonic: major, mode: 'major' };
}

// Spelled as key signatures are: flats for the flat keys, sharps for the sharp ones.
const MAJOR_NAMES = ['C', 'D♭', 'D', 'E♭', 'E', 'F', 'F♯', 'G', 'A♭', 'A', 'B♭', 'B'];
const MINOR_NAMES = ['C', 'C♯', 'D', 'E♭', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'B♭', 'B'];

/** The key's name: "E♭ major", "C♯ minor". */
export function keyLabel(key: EstimatedKey): string {
  return `${(key.mode === 'major' ? MAJOR_NAMES : MINOR_NAMES)[key.tonic]} ${key.mode}`;
}

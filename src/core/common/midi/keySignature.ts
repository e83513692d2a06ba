/** Key signatures between the SMF form (sharps/flats count and a minor flag) and a tonic name. */

const MAJOR_BY_SHARPS = ['Cb', 'Gb', 'Db', 'Ab', 'Eb', 'Bb', 'F', 'C', 'G', 'D', 'A', 'E', 'B', 'F#', 'C#'];
const MINOR_BY_SHARPS = ['Ab', 'Eb', 'Bb', 'F', 'C', 'G', 'D', 'A', 'E', 'B', 'F#', 'C#', 'G#', 'D#', 'A#'];
const PITCH_CLASS: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** The tonic of a key signature with `sharps` (-7..7, negative = flats) in major or minor, e.g. (0, minor) → 'A'. */
export function keyName(sharps: number, minor: boolean): string | null {
  return (minor ? MINOR_BY_SHARPS : MAJOR_BY_SHARPS)[sharps + 7] ?? null;
}

/** The sharps count (-7..7) for a tonic name and mode; enharmonic names ('Gb' minor) map to their spelled twin ('F#' minor). */
export function keySharps(key: string, minor: boolean): number | null {
  const table = minor ? MINOR_BY_SHARPS : MAJOR_BY_SHARPS;
  const exact = table.indexOf(key);
  if (exact >= 0) return exact - 7;
  const pc = pitchClass(key);
  if (pc === null) return null;
  // Several spellings share a pitch class (F#/Gb major): take the one with fewer accidentals.
  let best: number | null = null;
  table.forEach((name, i) => {
    if (pitchClass(name) === pc && (best === null || Math.abs(i - 7) < Math.abs(best))) best = i - 7;
  });
  return best;
}

function pitchClass(name: string): number | null {
  const m = /^([A-Ga-g])([#b]*)$/.exec(name.trim());
  if (!m) return null;
  let pc = PITCH_CLASS[m[1]!.toUpperCase()]!;
  for (const c of m[2]!) pc += c === '#' ? 1 : -1;
  return ((pc % 12) + 12) % 12;
}

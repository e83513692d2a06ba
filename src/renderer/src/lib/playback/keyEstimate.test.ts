import { describe, expect, it } from 'vitest';
import type { Note } from '../../../../core/common/song/song';
import { estimateKey, keyLabel } from './keyEstimate';

/** Notes of `pitches` in turn, each `length` ticks (a chord when `together`). */
function notes(pitches: number[], length = 480, together = false): Note[] {
  return pitches.map((pitch, i) => ({
    pitch,
    velocity: 80,
    startTicks: together ? 0 : i * length,
    endTicks: (together ? 0 : i * length) + length,
    track: 0,
    channel: 0,
  }));
}

describe('estimateKey', () => {
  it('finds a major key from its scale and tonic chord', () => {
    // C major scale up, then a long C major chord.
    const key = estimateKey([
      ...notes([60, 62, 64, 65, 67, 69, 71, 72]),
      ...notes([48, 60, 64, 67], 1920, true),
    ]);
    expect(key).toEqual({ tonic: 0, mode: 'major' });
    expect(keyLabel(key!)).toBe('C major');
  });

  it('tells the relative minor by the chords the piece dwells on', () => {
    // The same seven notes, resting on A minor.
    const key = estimateKey([
      ...notes([57, 59, 60, 62, 64, 65, 67, 69]),
      ...notes([45, 57, 60, 64], 1920, true),
    ]);
    expect(keyLabel(key!)).toBe('A minor');
  });

  it('spells flat keys with flats and sharp minors with sharps, and says nothing without notes', () => {
    // E-flat major: E♭ F G A♭ B♭ C D, resting on E♭ G B♭.
    expect(
      keyLabel(
        estimateKey([...notes([63, 65, 67, 68, 70, 72, 74]), ...notes([51, 63, 67, 70], 1920, true)])!,
      ),
    ).toBe('E♭ major');
    // C-sharp minor: C♯ D♯ E F♯ G♯ A B, resting on C♯ E G♯.
    expect(
      keyLabel(
        estimateKey([...notes([61, 63, 64, 66, 68, 69, 71]), ...notes([49, 61, 64, 68], 1920, true)])!,
      ),
    ).toBe('C♯ minor');
    expect(estimateKey([])).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { normalOrder, parsePitchName, pitchName } from './pitch';

describe('pitchName', () => {
  it('spells MIDI pitches as music21 does', () => {
    expect([60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71].map(pitchName)).toEqual([
      'C4',
      'C#4',
      'D4',
      'E-4',
      'E4',
      'F4',
      'F#4',
      'G4',
      'G#4',
      'A4',
      'B-4',
      'B4',
    ]);
    expect(pitchName(21)).toBe('A0');
    expect(pitchName(0)).toBe('C-1');
    expect(pitchName(127)).toBe('G9');
  });

  it('parses its own names back', () => {
    // Below octave 0 music21's names are ambiguous (E-1 = E-flat 1 or E in octave -1); the piano starts at A0 = 21.
    for (let p = 12; p < 128; p++) expect(parsePitchName(pitchName(p))).toBe(p);
    expect(parsePitchName('C-1')).toBe(0);
    expect(parsePitchName('H4')).toBeUndefined();
    expect(parsePitchName('4.7')).toBeUndefined();
  });
});

describe('normalOrder', () => {
  it('picks the most compact rotation', () => {
    expect(normalOrder([64, 67, 71])).toEqual([4, 7, 11]); // E minor
    expect(normalOrder([60, 64, 67])).toEqual([0, 4, 7]); // C major
    expect(normalOrder([67, 71, 74])).toEqual([7, 11, 2]); // G major wraps round the octave
    expect(normalOrder([62, 74])).toEqual([2]); // an octave is one pitch class
    expect(normalOrder([60, 61])).toEqual([0, 1]);
    expect(normalOrder([59, 60])).toEqual([11, 0]);
  });

  it('breaks equal spans by the inner intervals', () => {
    // {0,1,4,6}: rotations 0-1-4-6 (span 6) and 4-6-0-1 (span 9) ... 0-1-4-6 wins.
    expect(normalOrder([60, 61, 64, 66])).toEqual([0, 1, 4, 6]);
    // Dominant seventh on G: G B D F = 7 11 2 5 -> 11 2 5 7 (span 8) beats 7 11 2 5 (span 10).
    expect(normalOrder([67, 71, 74, 77])).toEqual([11, 2, 5, 7]);
  });

  it('breaks the ties music21’s Forte tables break otherwise than Rahn', () => {
    // Both from music21 9.3 (Chord.normalOrder).
    expect(normalOrder([60, 61, 63, 67, 68])).toEqual([0, 1, 3, 7, 8]);
    expect(normalOrder([66, 67, 70, 71, 72, 75])).toEqual([10, 11, 0, 3, 6, 7]);
  });
});

import { describe, expect, it } from 'vitest';
import { isMidiName, partitionMidi } from './dropFiles';

describe('isMidiName and partitionMidi', () => {
  it('accepts the MIDI extensions in any case', () => {
    expect(['a.mid', 'b.MIDI', 'c.kar', 'd.smf'].map(isMidiName)).toEqual([true, true, true, true]);
    expect(['a.mid.txt', 'mid', 'x.wav', 'midi'].map(isMidiName)).toEqual([false, false, false, false]);
  });

  it('splits MIDI files from the rest, naming each skipped file and why', () => {
    const files = [new File(['x'], 'song.mid'), new File(['x'], 'notes.txt'), new File(['x'], 'take.MID')];
    const { midi, skipped } = partitionMidi(files);
    expect(midi.map((f) => f.name)).toEqual(['song.mid', 'take.MID']);
    expect(skipped).toEqual([{ path: 'notes.txt', reason: 'notes.txt is not a MIDI file (.mid or .midi).' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { folderOf, isMidiName, partitionMidi, pickedFromInput } from './dropFiles';

describe('isMidiName and partitionMidi', () => {
  it('accepts the MIDI extensions in any case', () => {
    expect(['a.mid', 'b.MIDI', 'c.kar', 'd.smf'].map(isMidiName)).toEqual([true, true, true, true]);
    expect(['a.mid.txt', 'mid', 'x.wav', 'midi'].map(isMidiName)).toEqual([false, false, false, false]);
  });

  it('splits MIDI files from the rest, naming each skipped file and why', () => {
    const files = [new File(['x'], 'song.mid'), new File(['x'], 'notes.txt'), new File(['x'], 'take.MID')].map((file) => ({ file, folder: '' }));
    files[1]!.folder = 'Mozart';
    const { midi, skipped } = partitionMidi(files);
    expect(midi.map((f) => f.file.name)).toEqual(['song.mid', 'take.MID']);
    expect(skipped).toEqual([{ path: 'Mozart/notes.txt', reason: 'notes.txt is not a MIDI file (.mid or .midi).' }]);
  });

  it('knows the folder a file came from, for a picked folder and a dropped one', () => {
    expect(folderOf('Mozart/kv545.mid')).toBe('Mozart');
    expect(folderOf('/Classics/Mozart/kv545.mid')).toBe('Classics/Mozart');
    expect(folderOf('kv545.mid')).toBe('');
    const picked = new File(['x'], 'kv545.mid');
    Object.defineProperty(picked, 'webkitRelativePath', { value: 'Mozart/kv545.mid' });
    expect(pickedFromInput([picked, new File(['x'], 'alone.mid')]).map((p) => p.folder)).toEqual(['Mozart', '']);
  });
});

import { describe, expect, it } from 'vitest';
import { exportName, takeFileNames, takeLabel } from './names';

describe('export names', () => {
  it('names files by piece and take, so no two takes of a piece share a name', () => {
    const names = [
      exportName('piece-7.mid', 'generated'),
      exportName('piece-7.wav', 'renders'),
      exportName('piece-7.mid', 'refined'),
      exportName('piece-7.wav', 'refined'),
    ];
    expect(names).toEqual(['piece-7.mid', 'piece-7 (raw).wav', 'piece-7 (refined).mid', 'piece-7 (refined).wav']);
    expect(new Set(names).size).toBe(names.length);
    expect(exportName('report.html', 'evaluations')).toBe('report.html');
    expect(exportName('piece-7.wav.json', 'renders')).toBe('piece-7.wav.json');
  });

  it('says which take a file is', () => {
    expect(takeLabel('piece-7.wav', 'renders')).toBe('raw render');
    expect(takeLabel('piece-7.wav', 'refined')).toBe('refined take (audio)');
    expect(takeLabel('piece-7.mid', 'generated')).toBe('generated piece');
    expect(takeLabel('piece-7.wav.json', 'refined')).toBe('refinement sidecar');
    expect(takeLabel('piece-7.json', 'generated')).toBe('generation sidecar');
  });
});

describe('takeFileNames', () => {
  it('names a take’s files by the name the user gave it, made safe as a file name', () => {
    const names = takeFileNames([
      {
        name: 'Morning / take',
        midi: { path: '/d/generated/j/piece-1.mid' },
        render: { path: '/d/renders/r/piece-1.wav' },
        refined: { midi: { path: '/d/refined/f/piece-1.mid' }, wav: { path: '/d/refined/f/piece-1.wav' } },
      },
      { name: 'piece-2', midi: { path: '/d/generated/j/piece-2.mid' } },
    ]);
    expect([...names.entries()]).toEqual([
      ['/d/generated/j/piece-1.mid', 'Morning _ take.mid'],
      ['/d/renders/r/piece-1.wav', 'Morning _ take (raw).wav'],
      ['/d/refined/f/piece-1.mid', 'Morning _ take (refined).mid'],
      ['/d/refined/f/piece-1.wav', 'Morning _ take (refined).wav'],
      ['/d/generated/j/piece-2.mid', 'piece-2.mid'],
    ]);
  });
});

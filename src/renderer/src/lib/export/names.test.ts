import { describe, expect, it } from 'vitest';
import { exportName, takeLabel } from './names';

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

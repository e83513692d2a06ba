import { describe, expect, it } from 'vitest';
import { fitTitle } from './fitTitle';

describe('fitTitle', () => {
  it('keeps short titles as they are', () => {
    expect(fitTitle('Etude Op. 10, No. 1')).toBe('Etude Op. 10, No. 1');
  });

  it('shortens long titles in the middle, so titles that share a start stay apart', () => {
    const a = fitTitle('Das wohltemperierte Klavier I - Praeludium und Fuge Nr. 1 in C-Dur BWV 846');
    const b = fitTitle('Das wohltemperierte Klavier I - Praeludium und Fuge Nr. 2 in c-Moll BWV 847');
    expect([...a].length).toBeLessThanOrEqual(42);
    expect(a).not.toBe(b);
    expect(a.startsWith('Das wohltemperierte Klavier')).toBe(true);
    expect(a.endsWith('BWV 846')).toBe(true);
    expect(a).toContain('…');
  });
});

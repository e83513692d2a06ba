import { describe, expect, it } from 'vitest';
import type { PieceSummary } from '../../../../api/schemas';
import { filterAndSort } from './sortPieces';

const piece = (id: string, title: string, composer: string | undefined, durationSeconds: number, noteCount: number): PieceSummary => ({
  id,
  title,
  composer,
  durationSeconds,
  noteCount,
  sourcePath: `/midi/${id}.mid`,
});

const pieces = [
  piece('a', 'Nocturne No. 10', 'Chopin', 300, 2000),
  piece('b', 'Nocturne No. 2', 'Chopin', 240, 1500),
  piece('c', 'Für Elise', 'Beethoven', 180, 900),
  piece('d', 'Untitled sketch', undefined, 60, 120),
];

describe('filterAndSort', () => {
  it('sorts titles naturally (2 before 10)', () => {
    expect(filterAndSort(pieces, '', 'title', false).map((p) => p.id)).toEqual(['c', 'b', 'a', 'd']);
  });

  it('sorts by composer with unknown composers last in both directions', () => {
    expect(filterAndSort(pieces, '', 'composer', false).map((p) => p.id)).toEqual(['c', 'b', 'a', 'd']);
    expect(filterAndSort(pieces, '', 'composer', true).map((p) => p.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sorts by duration and by note count', () => {
    expect(filterAndSort(pieces, '', 'duration', true).map((p) => p.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(filterAndSort(pieces, '', 'notes', false).map((p) => p.id)).toEqual(['d', 'c', 'b', 'a']);
  });

  it('matches every word in title, composer or path, ignoring case', () => {
    expect(filterAndSort(pieces, 'chopin 10', 'title', false).map((p) => p.id)).toEqual(['a']);
    expect(filterAndSort(pieces, 'ELISE', 'title', false).map((p) => p.id)).toEqual(['c']);
    expect(filterAndSort(pieces, '/midi/d', 'title', false).map((p) => p.id)).toEqual(['d']);
    expect(filterAndSort(pieces, 'mozart', 'title', false)).toEqual([]);
  });

  it('sorts composers by surname, so a full name sits beside the short one', () => {
    const named = [piece('x', 'Etude', 'Frederic Chopin', 1, 1), piece('y', 'Sonata', 'Ludwig van Beethoven', 1, 1), piece('z', 'Prelude', 'Chopin', 1, 1), piece('w', 'Aria', 'Johann Sebastian Bach', 1, 1)];
    expect(filterAndSort(named, '', 'composer', false).map((p) => p.composer)).toEqual(['Johann Sebastian Bach', 'Ludwig van Beethoven', 'Chopin', 'Frederic Chopin']);
  });

  it('ignores accents and umlaut spellings in search', () => {
    const accented = [piece('e', 'Étude Op. 10, No. 1', 'Frédéric Chopin', 1, 1), piece('f', 'Fürchtenmachen', 'Robert Schumann', 1, 1)];
    expect(filterAndSort(accented, 'etude frederic', 'title', false).map((p) => p.id)).toEqual(['e']);
    expect(filterAndSort(accented, 'fuerchten', 'title', false).map((p) => p.id)).toEqual(['f']);
  });

  it('does not reorder its input', () => {
    const copy = [...pieces];
    filterAndSort(pieces, '', 'notes', true);
    expect(pieces).toEqual(copy);
  });
});

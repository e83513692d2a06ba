import { describe, expect, it } from 'vitest';
import { estimateText, staleText } from './data';

describe('staleText', () => {
  it('says what changed and offers to prepare again', () => {
    expect(staleText({ pieces: 30, addedPieces: 110, removedPieces: 0, stale: true })).toBe(
      '110 pieces were imported since the data was prepared, so training would use the old 30 pieces: prepare again to train on the corpus as it is.',
    );
    expect(staleText({ pieces: 30, addedPieces: 1, removedPieces: 1, stale: true })).toMatch(
      /^1 piece was imported and 1 piece was removed since/,
    );
  });

  it('says nothing when the data matches the corpus', () => {
    expect(staleText({ pieces: 30, addedPieces: 0, removedPieces: 0, stale: false })).toBeNull();
    expect(staleText(null)).toBeNull();
  });
});

describe('estimateText', () => {
  it('states the time before starting, and what it rests on', () => {
    expect(estimateText({ steps: 2000, epochs: 10, seconds: 28, basis: 'reference' }, false)).toBe(
      'About 28 s on this corpus: 2,000 steps (10 epochs), at the pace measured on a 2-core machine; the first run here measures yours.',
    );
    expect(estimateText({ steps: 1500, epochs: 1, seconds: 450, basis: 'measured' }, true)).toBe(
      'About 8 min on this corpus: 1,500 steps, at the pace of its last run here.',
    );
    expect(
      estimateText({ steps: 237420, epochs: 30, seconds: 3 * 3600 + 20 * 60, basis: 'measured' }, false),
    ).toMatch(/^About 3 h 20 min/);
    expect(estimateText(null, false)).toBeNull();
  });
});

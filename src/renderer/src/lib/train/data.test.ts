import { describe, expect, it } from 'vitest';
import { staleText } from './data';

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

import { describe, expect, it } from 'vitest';
import {
  chordEvents,
  distinctNgramRatio,
  EventDictionary,
  longestRepeatedRun,
  ReferenceIndex,
} from './repetition';
import { songOf } from './testSongs';

const seq = (...ids: number[]): Int32Array => Int32Array.from(ids);

describe('chordEvents', () => {
  it('groups notes that start together, pitches ascending, duplicates once', () => {
    const song = songOf([
      [64, 0, 1],
      [60, 0, 2],
      [67, 0, 1],
      [62, 1, 1],
      [62, 2, 1],
      [62, 2, 0.5],
    ]);
    expect(chordEvents(song)).toEqual(['60.64.67', '62', '62']);
  });
});

describe('EventDictionary', () => {
  it('gives each distinct event one id, shared across sequences', () => {
    const d = new EventDictionary();
    expect([...d.encode(['a', 'b', 'a'])]).toEqual([0, 1, 0]);
    expect([...d.encode(['b', 'c'])]).toEqual([1, 2]);
    expect(d.size).toBe(3);
  });
});

describe('longestRepeatedRun and distinctNgramRatio', () => {
  it('finds the longest back-to-back repeat', () => {
    expect(longestRepeatedRun(seq(1, 2, 2, 2, 3, 3))).toBe(3);
    expect(longestRepeatedRun(seq(1, 2, 3))).toBe(1);
    expect(longestRepeatedRun(seq())).toBe(0);
  });

  it('counts distinct n-grams over all n-grams', () => {
    // Bigrams of 1 2 1 2 1: (1,2) (2,1) (1,2) (2,1): 2 distinct of 4.
    expect(distinctNgramRatio(seq(1, 2, 1, 2, 1), 2)).toBeCloseTo(0.5);
    expect(distinctNgramRatio(seq(1, 2, 3, 4), 2)).toBe(1);
    expect(distinctNgramRatio(seq(1), 2)).toBeNaN();
  });
});

describe('ReferenceIndex.longestCopiedSpan', () => {
  const reference = [seq(1, 2, 3, 4, 5, 6, 7, 8), seq(9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11)];
  const index = new ReferenceIndex(reference);

  it('finds the longest verbatim span and where it is', () => {
    // 3 4 5 6 7 occurs in both pieces; the first found (piece 0) is kept.
    const span = index.longestCopiedSpan(seq(0, 3, 4, 5, 6, 7, 0));
    expect(span).toEqual({ length: 5, referencePiece: 0, referenceOffset: 2, queryOffset: 1 });
  });

  it('skips the excluded piece, finding the copy in the other', () => {
    const span = index.longestCopiedSpan(seq(2, 3, 4, 5, 6, 7, 8, 10), 0);
    expect(span).toMatchObject({ length: 8, referencePiece: 1, referenceOffset: 4, queryOffset: 0 });
  });

  it('never counts a span across two reference pieces', () => {
    // 7 8 | 9 9 spans the end of piece 0 and the start of piece 1.
    expect(index.longestCopiedSpan(seq(6, 7, 8, 9, 9, 9, 1)).length).toBe(4);
  });

  it('reports spans shorter than the seed length, and 0 for nothing in common', () => {
    expect(index.longestCopiedSpan(seq(50, 10, 11, 51)).length).toBe(2);
    expect(index.longestCopiedSpan(seq(50, 51, 52)).length).toBe(0);
  });
});

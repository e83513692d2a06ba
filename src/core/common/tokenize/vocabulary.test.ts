import { describe, expect, it } from 'vitest';
import { NotesTokenizer } from './notes';
import { PerformanceTokenizer, performanceTokens } from './performance';
import { buildVocabulary, encodeWithVocabulary, UNKNOWN_TOKEN } from './vocabulary';

describe('buildVocabulary', () => {
  it('keeps tokens seen at least minCount times, by count, with <unk> at id 0', () => {
    const vocab = buildVocabulary(
      'seed',
      [
        ['a', 'b', 'a', 'c'],
        ['a', 'b', 'd'],
      ],
      { minCount: 2 },
    );
    expect(vocab.tokens).toEqual([UNKNOWN_TOKEN, 'a', 'b']);
    expect(vocab.counts).toEqual([0, 3, 2]);
    expect(vocab.unknownId).toBe(0);
  });

  it('credits a rare chord to its notes, which can then be kept', () => {
    const notes = new NotesTokenizer();
    const streams = [['60.64:12', '+12', '60:12', '+12', '64.67:6', '+12', '64:12']];
    const vocab = buildVocabulary('notes', streams, { minCount: 2, tokenizer: notes });
    // 60:12 (1 + 1 from the chord) and 64:12 (1 + 1) reach 2; 64.67:6's parts stay at 1 each.
    expect(vocab.tokens).toContain('60:12');
    expect(vocab.tokens).toContain('64:12');
    expect(vocab.tokens).not.toContain('60.64:12');
    expect(vocab.tokens).not.toContain('67:6');
    // Every step is a base token, so any gap stays exact.
    expect(vocab.tokens.slice(1, 49)).toEqual(Array.from({ length: 48 }, (_, i) => `+${i + 1}`));
  });

  it('gives the performance kind exactly its 388 tokens in order, without <unk>', () => {
    const perf = new PerformanceTokenizer();
    const vocab = buildVocabulary('performance', [['NOTE_ON_60', 'TIME_SHIFT_10', 'NOTE_OFF_60']], {
      minCount: 5,
      tokenizer: perf,
    });
    expect(vocab.tokens).toEqual(performanceTokens());
    expect(vocab.tokens).toHaveLength(388);
    expect(vocab.unknownId).toBeUndefined();
    expect(vocab.counts[vocab.tokens.indexOf('NOTE_ON_60')]).toBe(1);
  });
});

describe('encodeWithVocabulary', () => {
  const notes = new NotesTokenizer();
  const vocab = buildVocabulary('notes', [['60:12', '64:12', '67:12', '60.64.67:12', '60:6', '+12', '+6']], {
    tokenizer: notes,
  });

  it('writes known tokens as their ids and splits a rare chord into its notes exactly', () => {
    const { ids, stats } = encodeWithVocabulary(['60.64.67:12', '+18', '60.64:12', '64:12'], vocab, notes);
    expect(ids.map((id) => vocab.tokens[id])).toEqual(['60.64.67:12', '+18', '60:12', '64:12', '64:12']);
    expect(stats).toMatchObject({
      events: 3,
      exactEvents: 2,
      decomposedEvents: 1,
      approximatedEvents: 0,
      unknownTokens: 0,
    });
  });

  it('approximates a rare note by the nearest known duration of its pitch, else writes <unk>', () => {
    const { ids, stats } = encodeWithVocabulary(['60:8', '61:12'], vocab, notes);
    expect(ids.map((id) => vocab.tokens[id])).toEqual(['60:6', UNKNOWN_TOKEN]);
    expect(stats).toMatchObject({ events: 2, exactEvents: 0, approximatedEvents: 1, unknownTokens: 1 });
  });

  it('decodes the substituted stream to the same notes as the original', () => {
    const original = ['60.64:12', '+12', '60.64.67:12'];
    const { ids } = encodeWithVocabulary(original, vocab, notes);
    const roundTrip = notes.decode(ids.map((id) => vocab.tokens[id]!));
    expect(roundTrip.notes).toEqual(notes.decode(original).notes);
  });
});

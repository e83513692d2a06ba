import { describe, expect, it } from 'vitest';
import type { TakeEntry } from '../../../../api/schemas';
import { deletionText, shownTakes, takeOrigin } from './describe';

const file = (name: string) => ({
  path: `/data/generated/j1/${name}`,
  name,
  sizeBytes: 10,
  modifiedAt: '2026-12-03T10:00:00.000Z',
  kind: 'midi' as const,
});
const take = (over: Partial<TakeEntry>): TakeEntry => ({
  midi: file('piece-1.mid'),
  name: 'piece-1',
  renamed: false,
  favourite: false,
  ...over,
});

describe('take words', () => {
  it('says what made a take, leaving out limits that were off', () => {
    expect(
      takeOrigin(
        take({
          model: { id: 'run-1', name: 'Chopin etudes' },
          seed: 42,
          temperature: 0.9,
          topK: 20,
          topP: 0.95,
          primer: { kind: 'corpus', label: 'Etude Op. 10 No. 1' },
        }),
      ),
    ).toBe('Chopin etudes · seed 42 · temperature 0.90 · top-k 20 · top-p 0.95 · primer Etude Op. 10 No. 1');
    expect(
      takeOrigin(take({ model: { name: 'gone', missing: true }, seed: 7, temperature: 1, topK: 0, topP: 1 })),
    ).toBe('gone (deleted) · seed 7 · temperature 1.00 · no primer');
  });

  it('names everything a delete removes', () => {
    expect(deletionText(take({ name: 'Morning' }))).toBe(
      'Delete “Morning”? Its MIDI file goes; the model and the library stay.',
    );
    expect(
      deletionText(
        take({
          name: 'Morning',
          render: file('a.wav'),
          refined: { midi: file('b.mid'), wav: file('b.wav') },
        }),
      ),
    ).toBe(
      'Delete “Morning”? Its MIDI file, its render and its refined take and that take’s audio go; the model and the library stay.',
    );
  });

  it('shows only favourites when asked', () => {
    const a = take({ name: 'a', favourite: true });
    const b = take({ name: 'b' });
    expect(shownTakes([a, b], true)).toEqual([a]);
    expect(shownTakes([a, b], false)).toEqual([a, b]);
  });
});

/**
 * The seed tokenizer against music21 9.3 on generated MIDI files (fixtures/music21-generated.json.gz,
 * made by scripts/music21-generated-fixture.py): voices, ties, drift, grace notes, thirds, names
 * and program changes in combinations the corpus seldom has. Needs no shared corpus.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SeedTokenizer } from '../../common/tokenize/seed';

const fixture = JSON.parse(
  gunzipSync(readFileSync(new URL('./fixtures/music21-generated.json.gz', import.meta.url))).toString('utf8'),
) as Record<string, { midi: string; tokens: string[] }>;

describe('seed tokenizer against music21 on generated files', () => {
  it('gives music21’s tokens for every file', () => {
    const seed = new SeedTokenizer();
    const differing = Object.entries(fixture)
      .filter(([name, { midi, tokens }]) => {
        const mine = seed.encodeMidi(Buffer.from(midi, 'base64'), name);
        return mine.length !== tokens.length || mine.some((t, i) => t !== tokens[i]);
      })
      .map(([name]) => name);
    expect(Object.keys(fixture).length).toBe(56);
    expect(differing).toEqual([]);
  });
});

/** The remi tokenizer over every file of the real piano corpus: exact round trips, the grammar, the note count. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRemiToken, RemiGrammar, RemiTokenizer } from '../../common/tokenize/remi';
import { parseMidi } from '../../common/midi/read';
import { listMidiFiles, sharedCorpusOrSkip } from '../testing/sharedCorpus';

const corpus = sharedCorpusOrSkip();

describe.skipIf(!corpus)('remi tokenizer on the piano corpus', () => {
  it('re-encodes every file to the same tokens after a decode, within its grammar, keeping every distinct note', () => {
    const t = new RemiTokenizer();
    const vocab = new Set(t.baseTokens());
    let tokens = 0;
    for (const file of listMidiFiles(corpus!)) {
      const song = parseMidi(readFileSync(file), { sustain: false, path: file }).song;
      const encoded = t.encode(song);
      tokens += encoded.length;
      expect(encoded.every((x) => vocab.has(x)), file).toBe(true);
      const g = new RemiGrammar();
      for (const x of encoded) {
        const parsed = parseRemiToken(x);
        expect(g.allows(parsed), `${file}: ${x}`).toBe(true);
        g.advance(parsed!);
      }
      const back = t.decode(encoded, { ppq: song.ppq });
      expect(t.encode(back), file).toEqual(encoded);
      // One note per pitch and quantized onset: the decoded song holds exactly that many.
      const keys = new Set(song.notes.map((n) => `${Math.round((n.startTicks * 12) / song.ppq)}:${Math.min(108, Math.max(21, n.pitch))}`));
      expect(back.notes.length, file).toBeLessThanOrEqual(keys.size);
      expect(back.notes.length, file).toBeGreaterThan(keys.size * 0.98);
    }
    expect(tokens).toBeGreaterThan(1_000_000);
  }, 120_000);
});

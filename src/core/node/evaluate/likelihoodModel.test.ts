import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../common/errors';
import { parseTrainingPieces } from '../models/scorer';
import { openLikelihoodModel, readModelTokenization } from './likelihoodModel';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-likelihood-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openLikelihoodModel', () => {
  it('names the file and the format it cannot score', async () => {
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ format: 'something-else' }));
    const error = await openLikelihoodModel(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toBe(
      `${path.join(dir, 'config.json')} has format "something-else", which evaluate cannot score (it knows cadenza-composer, cadenza-lstm and cadenza-transformer).`,
    );
  });

  it('names a folder without config.json', async () => {
    await expect(openLikelihoodModel(path.join(dir, 'none'))).rejects.toThrow(
      /config\.json could not be read; is .* a Cadenza model folder\?/,
    );
  });
});

describe('readModelTokenization', () => {
  it('reads the tokenizer and vocabulary and refuses a config without them', async () => {
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({
        format: 'x',
        tokenizer: { kind: 'notes' },
        vocab: { kind: 'notes', tokens: ['<unk>', 'a'], counts: [0, 1] },
      }),
    );
    const t = await readModelTokenization(dir);
    expect(t.tokenizer.kind).toBe('notes');
    expect(t.vocab.tokens).toEqual(['<unk>', 'a']);
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({ format: 'x', tokenizer: { kind: 'notes' } }),
    );
    await expect(readModelTokenization(dir)).rejects.toThrow(/has no vocab/);
  });
});

describe('parseTrainingPieces', () => {
  it('accepts {id, sha256} lists, lower-cases the hashes and names a bad field', () => {
    const sha = 'AB'.repeat(32);
    expect(parseTrainingPieces([{ id: 'a.mid', sha256: sha }], 'c.json')).toEqual([
      { id: 'a.mid', sha256: sha.toLowerCase() },
    ]);
    expect(parseTrainingPieces(undefined, 'c.json')).toBeUndefined();
    expect(() => parseTrainingPieces([{ id: 'a.mid', sha256: 'xyz' }], 'c.json')).toThrow(
      /c\.json has a trainingPieces field/,
    );
  });
});

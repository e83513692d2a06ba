import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError, UsageError } from '../../common/errors';
import { loadTokenDataset } from './dataset';
import type { PreprocessManifest } from './types';
import { DATASET_FORMAT_VERSION } from './types';
import type { TokenDatasetContent } from './write';
import { writeTokenDataset } from './write';

function content(): TokenDatasetContent {
  const tokens = Uint16Array.from([0, 1, 2, 2, 1, 300]);
  const vocabTokens = Array.from({ length: 301 }, (_, i) => `t${i}`);
  const manifest: PreprocessManifest = {
    formatVersion: DATASET_FORMAT_VERSION,
    kind: 'notes',
    createdAt: new Date(0).toISOString(),
    inputPath: '/in',
    corpusHash: 'x',
    tokenizerOptions: {},
    seed: 1,
    validFraction: 0.5,
    minCount: 1,
    seqLength: 4,
    tokenDtype: 'uint16le',
    counts: {
      files: 2,
      pieces: 2,
      trainPieces: 1,
      validPieces: 1,
      notes: 6,
      events: 6,
      tokens: 6,
      trainTokens: 4,
      validTokens: 2,
      vocabSize: 301,
    },
    coverage: {
      events: 6,
      exactEventShare: 1,
      decomposedEventShare: 0,
      approximatedEventShare: 0,
      unknownTokenShare: 0,
      distinctTokensBeforeCut: 4,
    },
    skipped: [],
    timings: { readSeconds: 0, tokenizeSeconds: 0, writeSeconds: 0, totalSeconds: 0 },
  };
  return {
    vocab: { kind: 'notes', tokens: vocabTokens, counts: vocabTokens.map(() => 1) },
    index: [
      { id: 'a.mid', path: '/in/a.mid', offset: 0, length: 4, split: 'train' },
      { id: 'b.mid', path: '/in/b.mid', offset: 4, length: 2, split: 'valid' },
    ],
    tokens,
    manifest,
  };
}

describe('writeTokenDataset / loadTokenDataset', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-ds-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('round-trips tokens, split and vocabulary, little-endian on disk', async () => {
    await writeTokenDataset(path.join(dir, 'notes'), content());
    const bytes = await fs.readFile(path.join(dir, 'notes', 'tokens.bin'));
    expect([...bytes.subarray(10, 12)]).toEqual([300 & 0xff, 300 >> 8]);
    // The parent folder resolves to its only kind.
    const ds = await loadTokenDataset(dir);
    expect(ds.pieces.map((p) => [p.id, p.split, [...p.tokens]])).toEqual([
      ['a.mid', 'train', [0, 1, 2, 2]],
      ['b.mid', 'valid', [1, 300]],
    ]);
    expect(ds.vocab.tokens[300]).toBe('t300');
    expect(await fs.readdir(dir)).toEqual(['notes']);
  });

  it('replaces an existing folder whole', async () => {
    await writeTokenDataset(path.join(dir, 'notes'), content());
    const c = content();
    c.tokens = Uint16Array.from([5, 6]);
    c.index = [{ id: 'c.mid', path: '/in/c.mid', offset: 0, length: 2, split: 'train' }];
    c.manifest.counts = { ...c.manifest.counts, pieces: 1, tokens: 2 };
    await writeTokenDataset(path.join(dir, 'notes'), c);
    const ds = await loadTokenDataset(path.join(dir, 'notes'));
    expect(ds.pieces.map((p) => [...p.tokens])).toEqual([[5, 6]]);
    expect(await fs.readdir(dir)).toEqual(['notes']);
  });

  it('names the missing or inconsistent file', async () => {
    await expect(loadTokenDataset(dir)).rejects.toThrow(UsageError);
    await expect(loadTokenDataset(dir)).rejects.toThrow(
      `--data_path names ${dir}, which holds no preprocessed data (no manifest.json); run \`cadenza preprocess\` first.`,
    );
    const missing = path.join(dir, 'nope');
    await expect(loadTokenDataset(missing)).rejects.toThrow(UsageError);
    await expect(loadTokenDataset(missing)).rejects.toThrow(
      `--data_path names ${missing}, which does not exist.`,
    );
    await writeTokenDataset(path.join(dir, 'notes'), content());
    const bin = path.join(dir, 'notes', 'tokens.bin');
    await fs.writeFile(bin, new Uint8Array(4));
    await expect(loadTokenDataset(dir)).rejects.toThrow(DataError);
    await expect(loadTokenDataset(dir)).rejects.toThrow(/tokens\.bin holds 2 tokens but the manifest says 6/);
    await fs.rm(path.join(dir, 'notes', 'vocab.json'));
    await expect(loadTokenDataset(dir)).rejects.toThrow(/vocab\.json is missing/);
  });

  it('refuses token ids beyond the vocabulary', async () => {
    const c = content();
    c.vocab = { kind: 'notes', tokens: ['a', 'b', 'c'], counts: [1, 1, 1] };
    c.manifest.counts.vocabSize = 3;
    await writeTokenDataset(path.join(dir, 'notes'), c);
    await expect(loadTokenDataset(path.join(dir, 'notes'))).rejects.toThrow(/token id 300, beyond/);
  });
});

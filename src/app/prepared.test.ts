import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError } from '../core/common/errors';
import { preparedKind, requirePreparedData, staleness, writeCorpusIds } from './prepared';

describe('prepared data', () => {
  let dir: string;
  const prepare = (kind: string): string => {
    const folder = path.join(dir, 'dataset', kind);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'manifest.json'), '{}');
    return folder;
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-prepared-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says in the app’s words to prepare first, never a CLI flag', () => {
    expect(() => requirePreparedData(dir, 'composer-tiny')).toThrow(DataError);
    expect(() => requirePreparedData(dir, 'tiny')).toThrow(/press Prepare data first/);
    expect(() => requirePreparedData(dir, 'tiny')).not.toThrow(/--data_path/);
    prepare('remi');
    expect(() => requirePreparedData(dir, 'composer-tiny')).not.toThrow();
    expect(() => requirePreparedData(dir, 'tiny')).toThrow(/no notes tokens.*Prepare again/);
  });

  it('picks the token kind each preset trains on', () => {
    expect(preparedKind('composer')).toBe('remi');
    expect(preparedKind('seed')).toBe('notes');
  });

  it('finds pieces imported or removed since the data was prepared', async () => {
    const folder = prepare('remi');
    await writeCorpusIds(folder, ['b', 'a']);
    expect(await staleness(dir, 'remi', ['a', 'b'], 2)).toEqual({ added: 0, removed: 0, stale: false });
    expect(await staleness(dir, 'remi', ['a', 'b', 'c', 'd'], 2)).toEqual({
      added: 2,
      removed: 0,
      stale: true,
    });
    expect(await staleness(dir, 'remi', ['a'], 2)).toEqual({ added: 0, removed: 1, stale: true });
  });

  it('compares by count for data prepared before the ids were kept', async () => {
    prepare('notes');
    expect(await staleness(dir, 'notes', ['a', 'b', 'c'], 3)).toMatchObject({ stale: false });
    expect(await staleness(dir, 'notes', ['a', 'b', 'c', 'd'], 3)).toMatchObject({ added: 1, stale: true });
  });
});

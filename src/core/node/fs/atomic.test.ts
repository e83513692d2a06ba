import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clipName, MAX_NAME_BYTES, writeFileAtomic } from './atomic';

describe('writeFileAtomic', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-atomic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes names up to the file system limit (the temporary name stays within it)', async () => {
    for (const length of [200, 230, 250, MAX_NAME_BYTES]) {
      const name = 'n'.repeat(length - 4) + '.mid';
      await writeFileAtomic(path.join(dir, name), `x${length}`);
      expect(readFileSync(path.join(dir, name), 'utf8')).toBe(`x${length}`);
    }
    // Nothing temporary is left behind.
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('clips names by bytes, never inside a character', () => {
    expect(clipName('abc', 10)).toBe('abc');
    expect(clipName('ééé', 5)).toBe('éé');
    expect(Buffer.byteLength(clipName('é'.repeat(200), MAX_NAME_BYTES))).toBeLessThanOrEqual(MAX_NAME_BYTES);
  });
});

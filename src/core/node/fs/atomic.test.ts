import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { clipName, MAX_NAME_BYTES, writeFileAtomic, writeFilesAtomic } from './atomic';

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

describe('writeFilesAtomic', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-atomic-set-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());
  const diskFull = (): Error =>
    Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });

  it('writes every file, leaving nothing temporary', async () => {
    const out = path.join(dir, 'ok');
    await writeFilesAtomic([
      { path: path.join(out, 'a.mid'), data: 'midi' },
      { path: path.join(out, 'a.wav'), data: new Uint8Array([1, 2, 3]) },
    ]);
    expect(readdirSync(out).sort()).toEqual(['a.mid', 'a.wav']);
    expect(readFileSync(path.join(out, 'a.mid'), 'utf8')).toBe('midi');
  });

  it('leaves none of the files when the disk fills while writing the second', async () => {
    const out = path.join(dir, 'full');
    const realOpen = fs.open.bind(fs);
    vi.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      if (path.basename(String(args[0])).startsWith('.a.wav.'))
        handle.writeFile = () => Promise.reject(diskFull());
      return handle;
    });
    await expect(
      writeFilesAtomic([
        { path: path.join(out, 'a.mid'), data: 'midi' },
        { path: path.join(out, 'a.wav'), data: 'wave' },
      ]),
    ).rejects.toThrow(`Could not write ${path.join(out, 'a.wav')}: the disk is full.`);
    expect(readdirSync(out)).toEqual([]);
  });

  it('takes back the files already placed when a later one cannot be renamed into place', async () => {
    const out = path.join(dir, 'rename');
    const realRename = fs.rename.bind(fs);
    vi.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      if (String(to).endsWith('a.wav')) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      return realRename(from, to);
    });
    await expect(
      writeFilesAtomic([
        { path: path.join(out, 'a.mid'), data: 'midi' },
        { path: path.join(out, 'a.wav'), data: 'wave' },
      ]),
    ).rejects.toThrow(`Could not write ${path.join(out, 'a.wav')}`);
    expect(existsSync(path.join(out, 'a.mid'))).toBe(false);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('ioError', () => {
  it('says EEXIST in words, never the raw "file already exists, mkdir"', async () => {
    const { ioError: ioErr } = await import('./atomic');
    const e = Object.assign(new Error("EEXIST: file already exists, mkdir '/x'"), { code: 'EEXIST' });
    expect(ioErr(e, '/x', 'create').message).toBe(
      'Could not create /x: a file of that name is there, and a folder is needed.',
    );
    expect(ioErr(e, '/x', 'write').message).not.toMatch(/EEXIST|mkdir/);
  });
});

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathGuard } from './pathGuard';

describe('PathGuard', () => {
  let root: string;
  let data: string;
  let chosen: string;
  let other: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'cadenza-guard-'));
    data = path.join(root, 'data');
    chosen = path.join(root, 'chosen');
    other = path.join(root, 'other');
    for (const d of [data, chosen, other]) mkdirSync(d, { recursive: true });
    writeFileSync(path.join(data, 'in.mid'), 'x');
    writeFileSync(path.join(chosen, 'a.mid'), 'x');
    writeFileSync(path.join(other, 'b.mid'), 'x');
    symlinkSync(path.join(other, 'b.mid'), path.join(data, 'link.mid'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads inside the data folder, by relative or absolute path, and nothing outside it', async () => {
    const guard = new PathGuard(data);
    expect(await guard.readable('in.mid')).toBe(path.join(data, 'in.mid'));
    expect(await guard.readable(path.join(data, 'in.mid'))).toBe(path.join(data, 'in.mid'));
    await expect(guard.readable('../other/b.mid')).rejects.toThrow(/outside the data folder/);
    await expect(guard.readable(path.join(other, 'b.mid'))).rejects.toThrow(/outside the data folder/);
    await expect(guard.readable('link.mid')).rejects.toThrow(/outside the data folder/);
    await expect(guard.readable('missing.mid', 'from')).rejects.toMatchObject({ field: 'from', message: 'missing.mid does not exist.' });
  });

  it('widens reads to what the user chose (a folder and everything in it, or one file) and writes to a save dialog\'s answer', async () => {
    const guard = new PathGuard(data);
    await guard.allowDir(chosen);
    await guard.allowWrite(path.join(other, 'save-here.mid'));
    expect(await guard.readable(path.join(chosen, 'a.mid'))).toBe(path.join(chosen, 'a.mid'));
    expect(await guard.writable(path.join(other, 'save-here.mid'))).toBe(path.join(other, 'save-here.mid'));
    await expect(guard.writable(path.join(other, 'not-chosen.mid'))).rejects.toThrow(/not chosen in a save dialog/);
    await expect(guard.readable(path.join(other, 'b.mid'))).rejects.toThrow(/outside/);
    // A link inside the data folder is followed before the check, for writes too.
    await expect(guard.writable('link.mid')).rejects.toThrow(/not chosen in a save dialog/);
    await expect(guard.writable(data)).rejects.toThrow(/is a folder/);
  });

  it('writes only where the user chose: never the data folder\'s own files, nor what was opened for reading', async () => {
    const guard = new PathGuard(data);
    await guard.allowDir(chosen);
    await guard.allowFile(path.join(other, 'b.mid'));
    // Opened or dropped means readable, not writable.
    await expect(guard.writable(path.join(chosen, 'new.mid'), 'to')).rejects.toMatchObject({ field: 'to', message: expect.stringMatching(/not chosen in a save dialog/) });
    await expect(guard.writable(path.join(other, 'b.mid'))).rejects.toThrow(/not chosen in a save dialog/);
    for (const managed of ['corpus/index.json', 'corpus/.lock', 'settings.json', 'jobs.json', 'models/default.json', 'in.mid', 'exports/../settings.json']) {
      await expect(guard.writable(managed, 'to'), managed).rejects.toMatchObject({ field: 'to', message: expect.stringContaining("is in Cadenza's data folder, whose files only Cadenza itself writes") });
    }
    // A save dialog pointed into the data folder does not widen it either.
    await guard.allowWrite(path.join(data, 'settings.json'));
    await expect(guard.writable(path.join(data, 'settings.json'))).rejects.toThrow(/only Cadenza itself writes/);
    // The data folder's exports/ is where the page may copy files to (browser mode has no save dialog).
    expect(await guard.writable('exports/copy.mid')).toBe(path.join(data, 'exports', 'copy.mid'));
    expect(await guard.writable('exports/sub/copy.mid')).toBe(path.join(data, 'exports', 'sub', 'copy.mid'));
  });

  it('follows links on the folders of a path that does not exist yet', async () => {
    const guard = new PathGuard(data);
    mkdirSync(path.join(data, 'exports'), { recursive: true });
    symlinkSync(other, path.join(data, 'exports', 'out'));
    await expect(guard.writable('exports/out/new/x.mid')).rejects.toThrow(/not chosen in a save dialog/);
    rmSync(path.join(data, 'exports'), { recursive: true, force: true });
  });
});

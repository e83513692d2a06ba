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

  it('widens only to what the user chose: a folder and everything in it, or exactly one file', async () => {
    const guard = new PathGuard(data);
    await guard.allowDir(chosen);
    await guard.allowFile(path.join(other, 'save-here.mid'));
    expect(await guard.readable(path.join(chosen, 'a.mid'))).toBe(path.join(chosen, 'a.mid'));
    expect(await guard.writable(path.join(chosen, 'new.mid'))).toBe(path.join(chosen, 'new.mid'));
    expect(await guard.writable(path.join(other, 'save-here.mid'))).toBe(path.join(other, 'save-here.mid'));
    await expect(guard.writable(path.join(other, 'not-chosen.mid'))).rejects.toThrow(/will not touch it/);
    await expect(guard.readable(path.join(other, 'b.mid'))).rejects.toThrow(/outside/);
    // A link inside an allowed folder is followed before the check, for writes too.
    await expect(guard.writable('link.mid')).rejects.toThrow(/outside/);
    await expect(guard.writable(data)).rejects.toThrow(/is a folder/);
  });
});

import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CorpusError } from '../../common/errors';
import { withLock } from './lock';

describe('withLock', () => {
  let dir: string;
  let lockFile: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-lock-'));
    lockFile = path.join(dir, '.lock');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('leaves no empty lock behind when the disk is full, so the next writer does not wait', async () => {
    const realOpen = fs.open.bind(fs);
    const spy = vi.spyOn(fs, 'open').mockImplementationOnce(async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      // The file exists now; writing its content fails as on a full disk.
      handle.writeFile = () =>
        Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
      return handle;
    });
    await expect(withLock(lockFile, async () => 'never')).rejects.toThrow(
      `Could not create ${lockFile}: the disk is full.`,
    );
    spy.mockRestore();
    await expect(fs.stat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
    const t0 = Date.now();
    expect(await withLock(lockFile, async () => 'next', { timeoutMs: 30_000 })).toBe('next');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('breaks an empty lock at once: a crash or a full disk left it, no writer is still filling it', async () => {
    await fs.writeFile(lockFile, '');
    const t0 = Date.now();
    expect(await withLock(lockFile, async () => 'ran', { timeoutMs: 30_000 })).toBe('ran');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('holds its owner from the moment the lock exists, and leaves no draft behind', async () => {
    const seen = await withLock(lockFile, async () => ({
      names: await fs.readdir(dir),
      owner: JSON.parse(await fs.readFile(lockFile, 'utf8')) as { pid: number },
    }));
    expect(seen.names).toEqual(['.lock']);
    expect(seen.owner.pid).toBe(process.pid);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('runs writers one at a time and removes the lock afterwards', async () => {
    const log: string[] = [];
    const writer = (name: string) =>
      withLock(lockFile, async () => {
        log.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 20));
        log.push(`${name} out`);
      });
    await Promise.all([writer('a'), writer('b'), writer('c')]);
    for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i]!.replace('in', 'out'));
    expect(log).toHaveLength(6);
    await expect(fs.access(lockFile)).rejects.toThrow();
  });

  it('releases the lock when the work throws', async () => {
    await expect(withLock(lockFile, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withLock(lockFile, () => Promise.resolve(7))).resolves.toBe(7);
  });

  it('breaks a lock whose process is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    await fs.writeFile(
      lockFile,
      JSON.stringify({ pid: dead, host: os.hostname(), createdAt: 'then', token: 'old' }),
    );
    await expect(withLock(lockFile, () => Promise.resolve('ran'), { timeoutMs: 0 })).resolves.toBe('ran');
  });

  it('breaks an unreadable lock once it is old', async () => {
    await fs.writeFile(lockFile, 'garbage');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lockFile, old, old);
    await expect(withLock(lockFile, () => Promise.resolve('ran'), { timeoutMs: 0 })).resolves.toBe('ran');
  });

  it('refuses, naming the holder, when a live process holds the lock', async () => {
    const holder = {
      pid: process.ppid,
      host: os.hostname(),
      createdAt: '2026-01-01T00:00:00Z',
      token: 'theirs',
    };
    await fs.writeFile(lockFile, JSON.stringify(holder));
    const attempt = withLock(lockFile, () => Promise.resolve('ran'), { timeoutMs: 50 });
    await expect(attempt).rejects.toThrow(CorpusError);
    await expect(withLock(lockFile, () => Promise.resolve('ran'), { timeoutMs: 0 })).rejects.toThrow(
      `The corpus is being changed by process ${process.ppid}`,
    );
    // The holder's lock is left alone.
    expect(JSON.parse(await fs.readFile(lockFile, 'utf8'))).toEqual(holder);
  });
});

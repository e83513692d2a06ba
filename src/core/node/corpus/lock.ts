/**
 * A single-writer lock on a folder: a lock file created with O_EXCL holding the owner's pid,
 * host and start time. A lock whose process is gone (same host), that is older than
 * `staleAfterMs` (another host), or that cannot be read (empty, damaged) is stale and is broken;
 * otherwise a second writer waits up to `timeoutMs`, then gets a `CorpusError` naming the holder.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { CorpusError } from '../../common/errors';
import { ioError } from '../fs/atomic';

/** How long to wait for a held lock and when to call one stale. */
export interface LockOptions {
  /** How long to wait for another writer to finish; default 30 s. */
  timeoutMs?: number;
  /** Age after which a lock from another host is stale; default 1 hour. */
  staleAfterMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  createdAt: string;
  token: string;
}

let tokens = 0;

/** Runs `work` while holding the lock file `lockFile`, releasing it afterwards even when `work` throws. */
export async function withLock<T>(
  lockFile: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const owner: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    createdAt: new Date().toISOString(),
    token: `${process.pid}-${Date.now()}-${tokens++}`,
  };
  await acquire(lockFile, owner, options);
  try {
    return await work();
  } finally {
    await release(lockFile, owner);
  }
}

async function acquire(lockFile: string, owner: LockOwner, options: LockOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleAfterMs = options.staleAfterMs ?? 3_600_000;
  const deadline = Date.now() + timeoutMs;
  let delayMs = 10;
  for (;;) {
    if (await create(lockFile, owner)) return;
    const holder = await readOwner(lockFile);
    if (holder === 'gone') continue;
    // A stale lock that cannot be moved aside (a read-only folder) is waited on like a live one.
    if ((await isStale(lockFile, holder, staleAfterMs)) && (await breakLock(lockFile, holder))) continue;
    if (Date.now() >= deadline) {
      const who = holder
        ? `process ${holder.pid} on ${holder.host} since ${holder.createdAt}`
        : 'another process';
      throw new CorpusError(
        `The corpus is being changed by ${who} (lock file ${lockFile}); try again when it has finished.`,
        { path: lockFile },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(200, delayMs * 2);
  }
}

/**
 * Creates the lock file holding `owner`; false when another writer holds it. The owner is written
 * to a draft file first and hard-linked in as the lock, so a lock file holds its owner from the
 * moment it exists: a full disk leaves no lock at all, and an empty or unreadable lock is never a
 * writer's half-made one but a leftover, broken at once.
 */
async function create(lockFile: string, owner: LockOwner): Promise<boolean> {
  const draft = `${lockFile}.${owner.token}.new`;
  try {
    await writeOwner(draft, owner);
  } catch (error) {
    throw ioError(error, lockFile, 'create');
  }
  try {
    await fs.link(draft, lockFile);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links (FAT, exFAT): create the lock in place, as before.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS')
      return createInPlace(lockFile, owner);
    throw ioError(error, lockFile, 'create');
  } finally {
    await fs.rm(draft, { force: true }).catch(() => {});
  }
}

/**
 * Creates the lock with O_EXCL and writes its owner into it. The file exists for a moment before
 * its content, and a writer that reads it then takes it for a leftover: the price of no hard links.
 */
async function createInPlace(lockFile: string, owner: LockOwner): Promise<boolean> {
  try {
    await writeOwner(lockFile, owner);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(error, lockFile, 'create');
  }
}

/** Writes `owner` to the new file `file` (O_EXCL); a failure after creating it removes it again. */
async function writeOwner(file: string, owner: LockOwner): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(JSON.stringify(owner));
    await handle.close();
  } catch (error) {
    // A full disk creates the file but not its content: an empty lock would hold off the next writer.
    await handle.close().catch(() => {});
    await fs.rm(file, { force: true }).catch(() => {});
    throw error;
  }
}

/** The lock's owner, null when the file is unreadable or half-written, 'gone' when it vanished. */
async function readOwner(lockFile: string): Promise<LockOwner | null | 'gone'> {
  let text: string;
  try {
    text = await fs.readFile(lockFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return null;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string')
      return value as LockOwner;
  } catch {
    /* empty or damaged */
  }
  return null;
}

async function isStale(lockFile: string, holder: LockOwner | null, staleAfterMs: number): Promise<boolean> {
  // Locks are linked in whole (see `create`): one that cannot be read was left by a crash or a full disk.
  if (!holder) return true;
  if (holder.host === os.hostname()) return !processAlive(holder.pid);
  try {
    const { mtimeMs } = await fs.stat(lockFile);
    return Date.now() - mtimeMs > staleAfterMs;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock without removing a fresh one another writer made meanwhile: the lock is
 * renamed aside (only one breaker wins the rename), checked, and put back if it was not the stale one.
 */
async function breakLock(lockFile: string, stale: LockOwner | null): Promise<boolean> {
  const aside = `${lockFile}.${process.pid}.${Date.now()}.${tokens++}.stale`;
  try {
    await fs.rename(lockFile, aside);
  } catch (error) {
    // Gone already: someone else broke or released it, so try again at once.
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  const moved = await readOwner(aside);
  const same = moved !== 'gone' && (moved === null ? stale === null : moved.token === stale?.token);
  if (!same) await fs.link(aside, lockFile).catch(() => {});
  await fs.rm(aside, { force: true }).catch(() => {});
  return true;
}

async function release(lockFile: string, owner: LockOwner): Promise<void> {
  const holder = await readOwner(lockFile);
  if (holder && holder !== 'gone' && holder.token === owner.token)
    await fs.rm(lockFile, { force: true }).catch(() => {});
}

/**
 * Atomic file writes: write a temporary file beside the target, fsync it, rename it over
 * the target, fsync the folder. A crash or a full disk leaves either the old file or the
 * new one, never half of one; `writeFilesAtomic` does the same for files that belong together.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { IoError } from '../../common/errors';

let counter = 0;

/** The longest file name most file systems accept (ext4, APFS, NTFS), in bytes. */
export const MAX_NAME_BYTES = 255;

/** `name` cut to at most `maxBytes` bytes of UTF-8, never in the middle of a character. */
export function clipName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  let out = '';
  let bytes = 0;
  for (const ch of name) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** A temporary name beside `file`, unique to this write and within the file system's name limit. */
function tempNameFor(file: string): string {
  const suffix = `.${process.pid}.${Date.now()}.${counter++}.tmp`;
  // A name near the limit would overflow once the suffix is added: its start is enough to recognise it.
  return path.join(
    path.dirname(file),
    `.${clipName(path.basename(file), MAX_NAME_BYTES - 1 - suffix.length)}${suffix}`,
  );
}

/** Writes `data` to `file` atomically, creating its folder. Throws `IoError` naming the file. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = tempNameFor(file);
  try {
    await fs.mkdir(dir, { recursive: true });
    await writeSynced(tmp, data);
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw ioError(error, file, 'write');
  }
  await syncDir(dir);
}

/** A file to write with `writeFilesAtomic`. */
export interface FileToWrite {
  /** Where it goes. */
  path: string;
  /** Its content. */
  data: string | Uint8Array;
}

/**
 * Writes files that only make sense together (a MIDI file and its rendering) so that a failure
 * leaves no new one without the rest: each is written in full beside its target first (where a
 * full disk fails), then all are renamed into place. Throws `IoError` naming the file that failed.
 */
export async function writeFilesAtomic(files: readonly FileToWrite[]): Promise<void> {
  const staged: { tmp: string; file: string }[] = [];
  const removeStaged = (): Promise<unknown> =>
    Promise.all(staged.map(({ tmp }) => fs.rm(tmp, { force: true }).catch(() => {})));
  for (const { path: file, data } of files) {
    const tmp = tempNameFor(file);
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      staged.push({ tmp, file });
      await writeSynced(tmp, data);
    } catch (error) {
      await removeStaged();
      throw ioError(error, file, 'write');
    }
  }
  const placed: string[] = [];
  for (const { tmp, file } of staged) {
    try {
      await fs.rename(tmp, file);
      placed.push(file);
    } catch (error) {
      // A rename needs no space, so this is rare; take back what was placed, so none stands without the rest.
      await removeStaged();
      await Promise.all(placed.map((f) => fs.rm(f, { force: true }).catch(() => {})));
      throw ioError(error, file, 'write');
    }
  }
  for (const dir of new Set(files.map((f) => path.dirname(f.path)))) await syncDir(dir);
}

/** A file written in pieces that appears at its path only when complete (`openAtomicFile`). */
export interface AtomicFile {
  /** Appends `data`. */
  append(data: Uint8Array): Promise<void>;
  /** Overwrites bytes at `positionBytes`, e.g. a header whose sizes are known only at the end. */
  writeAt(data: Uint8Array, positionBytes: number): Promise<void>;
  /** Flushes the file to the disk and renames it into place. */
  commit(): Promise<void>;
  /** Removes what was written, leaving the path as it was; harmless after a failure or a commit. */
  abort(): Promise<void>;
}

/**
 * Opens `file` to be written in pieces, atomically: the pieces go to a temporary file beside it,
 * renamed over it by `commit`, so a crash, a full disk or `abort` leaves what was there before.
 * A failed write removes the temporary file. Throws `IoError` naming `file`.
 */
export async function openAtomicFile(file: string): Promise<AtomicFile> {
  const dir = path.dirname(file);
  const tmp = tempNameFor(file);
  let handle: FileHandle | undefined;
  try {
    await fs.mkdir(dir, { recursive: true });
    handle = await fs.open(tmp, 'w');
  } catch (error) {
    throw ioError(error, file, 'write');
  }
  let end = 0;
  let done = false;
  const abort = async (): Promise<void> => {
    if (done) return;
    done = true;
    await handle?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
  };
  const writeAt = async (data: Uint8Array, positionBytes: number): Promise<void> => {
    try {
      if (done || !handle) throw new Error('the file was already committed or aborted');
      for (let at = 0; at < data.length;) {
        const { bytesWritten } = await handle.write(data, at, data.length - at, positionBytes + at);
        at += bytesWritten;
      }
    } catch (error) {
      await abort();
      throw ioError(error, file, 'write');
    }
    end = Math.max(end, positionBytes + data.length);
  };
  return {
    append: (data) => writeAt(data, end),
    writeAt,
    abort,
    commit: async () => {
      try {
        if (done || !handle) throw new Error('the file was already committed or aborted');
        await handle.sync();
        await handle.close();
        done = true;
        await fs.rename(tmp, file);
      } catch (error) {
        done = false;
        await abort();
        throw ioError(error, file, 'write');
      }
      await syncDir(dir);
    },
  };
}

/** Writes `data` to the new file `file` and flushes it to the disk. */
async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `value` as pretty JSON atomically. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads and parses a JSON file; throws `IoError` naming the file when it is missing or not JSON. */
export async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw ioError(error, file, 'read');
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new IoError(`${file} is not valid JSON.`, { path: file });
  }
}

async function syncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename durable; some platforms (Windows) refuse it, which is harmless.
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* not supported here */
  }
}

/** Turns a Node file-system error into one clear sentence naming the file. */
export function ioError(error: unknown, file: string, verb: 'read' | 'write' | 'create' | 'remove'): IoError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOENT'
      ? verb === 'read'
        ? 'it does not exist'
        : 'its folder does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission was denied'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'EROFS'
            ? 'the file system is read-only'
            : code === 'EISDIR'
              ? 'it is a folder'
              : code === 'ENOTDIR'
                ? 'a part of the path is not a folder'
                : code === 'EEXIST'
                  ? verb === 'create'
                    ? 'a file of that name is there, and a folder is needed'
                    : 'something of that name is already there'
                  : code === 'ENAMETOOLONG'
                    ? `its name is longer than the file system allows (${MAX_NAME_BYTES} bytes)`
                    : ((error as Error | undefined)?.message ?? String(error));
  return new IoError(`Could not ${verb} ${file}: ${reason}.`, { path: file, cause: error, detail: code });
}

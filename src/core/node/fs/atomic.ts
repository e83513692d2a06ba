/**
 * Atomic file writes: write a temporary file beside the target, fsync it, rename it over
 * the target, fsync the folder. A crash or a full disk leaves either the old file or the
 * new one, never half of one.
 */
import { promises as fs } from 'node:fs';
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
  return path.join(path.dirname(file), `.${clipName(path.basename(file), MAX_NAME_BYTES - 1 - suffix.length)}${suffix}`);
}

/** Writes `data` to `file` atomically, creating its folder. Throws `IoError` naming the file. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = tempNameFor(file);
  try {
    await fs.mkdir(dir, { recursive: true });
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw ioError(error, file, 'write');
  }
  await syncDir(dir);
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
                : code === 'ENAMETOOLONG'
                  ? `its name is longer than the file system allows (${MAX_NAME_BYTES} bytes)`
                  : ((error as Error | undefined)?.message ?? String(error));
  return new IoError(`Could not ${verb} ${file}: ${reason}.`, { path: file, cause: error, detail: code });
}

/**
 * The one folder walker. Every stage that takes "a file or a folder" expands it here, so hidden
 * files, links and order follow one set of rules everywhere.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ioError } from '../fs/atomic';

/** What a walk found: files in a stable order, and paths that could not be read, with one sentence each. */
export interface WalkResult {
  /** Absolute paths, each once: named files first in the order given, folders' files in byte order of their names. */
  files: string[];
  /** Files under a walked folder that `accept` turned down (absolute paths), for callers that report them. */
  refused: string[];
  unreadable: Array<{ path: string; reason: string }>;
}

/** What to walk for. */
export interface WalkOptions {
  /** Which file names under a folder to take (default: all). A file named directly is always taken. */
  accept?: (name: string) => boolean;
}

/**
 * Expands `paths` into files. Folders are walked recursively, entries in byte order of their
 * names (the same on every machine and locale), skipping hidden entries (a leading dot) and not
 * following links to folders (so a link loop cannot trap the walk); links to files are taken.
 * A path that cannot be read is reported in `unreadable` and the walk goes on.
 */
export async function walkFiles(paths: readonly string[], options: WalkOptions = {}): Promise<WalkResult> {
  const accept = options.accept ?? (() => true);
  const result: WalkResult = { files: [], refused: [], unreadable: [] };
  const seen = new Set<string>();
  const add = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    result.files.push(file);
  };
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      result.unreadable.push({ path: dir, reason: ioError(error, dir, 'read').message });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(full)))) {
        if (accept(entry.name)) add(full);
        else result.refused.push(full);
      }
    }
  };
  for (const given of paths) {
    const full = path.resolve(given);
    let stat;
    try {
      stat = await fs.stat(full);
    } catch (error) {
      result.unreadable.push({ path: full, reason: ioError(error, full, 'read').message });
      continue;
    }
    if (stat.isDirectory()) await walk(full);
    else add(full);
  }
  return result;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** True for `.mid` and `.midi` in any case. */
export function isMidiFileName(name: string): boolean {
  return /\.midi?$/i.test(name);
}

/** True for `.wav` in any case. */
export function isWavFileName(name: string): boolean {
  return /\.wav$/i.test(name);
}

/** Finds the MIDI files an import names: files as given, folders searched recursively. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ioError } from '../fs/atomic';

/** What scanning found: files in a stable order, and paths that could not be read, with one sentence each. */
export interface ScanResult {
  /** Absolute paths, folders' files in name order, each once. */
  files: string[];
  unreadable: Array<{ path: string; reason: string }>;
}

/** True for `.mid` and `.midi` in any case. */
export function isMidiFileName(name: string): boolean {
  return /\.midi?$/i.test(name);
}

/**
 * Expands `paths` into MIDI files. Folders are walked recursively in name order, skipping hidden
 * entries and not following links to folders (so a link loop cannot trap the walk). A file named
 * directly is taken whatever its extension; the reader decides whether it is MIDI.
 */
export async function findMidiFiles(paths: readonly string[]): Promise<ScanResult> {
  const files: string[] = [];
  const unreadable: ScanResult['unreadable'] = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    files.push(file);
  };
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      unreadable.push({ path: dir, reason: ioError(error, dir, 'read').message });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (
        isMidiFileName(entry.name) &&
        (entry.isFile() || (entry.isSymbolicLink() && (await isFile(full))))
      )
        add(full);
    }
  };
  for (const given of paths) {
    const full = path.resolve(given);
    let stat;
    try {
      stat = await fs.stat(full);
    } catch (error) {
      unreadable.push({ path: full, reason: ioError(error, full, 'read').message });
      continue;
    }
    if (stat.isDirectory()) await walk(full);
    else add(full);
  }
  return { files, unreadable };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Confining a request for a file to one folder: the path is resolved through symlinks (on the
 * file and on every folder above it) before it is compared, so a link inside the folder that
 * points outside is refused like `../` is.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * The real path of the existing regular file at `rel` inside `root`, or null when it does not
 * exist, is not a file, or (after following links) lies outside `root`.
 */
export async function confinedFile(root: string, rel: string): Promise<string | null> {
  let realRoot: string;
  let real: string;
  try {
    realRoot = await fs.realpath(root);
    const lexical = path.resolve(root, rel);
    const base = path.resolve(root);
    if (lexical !== base && !lexical.startsWith(base + path.sep)) return null;
    real = await fs.realpath(lexical);
  } catch {
    return null;
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
  const stat = await fs.stat(real).catch(() => null);
  return stat?.isFile() ? real : null;
}

/**
 * What a path from a drop on the Electron window may grant. The path comes from the page (the
 * preload resolves a dropped File to it), so it is checked like any free text: only a MIDI,
 * SoundFont or WAV file, or a folder that is not a file-system root, the home folder itself or a
 * hidden folder, becomes readable; nothing from a drop ever becomes writable.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../core/common/errors';

/** Extensions a dropped file may have. */
export const DROP_EXTENSIONS = new Set(['.mid', '.midi', '.sf2', '.sf3', '.wav']);

/** The real path a drop of `p` grants reading, and whether it is a folder. Throws `ApiError` naming the path otherwise. */
export async function dropGrant(p: unknown): Promise<{ path: string; folder: boolean }> {
  if (typeof p !== 'string' || !path.isAbsolute(p)) throw new ApiError('A dropped item must be a file or folder on this computer.', { field: 'path' });
  let real: string;
  try {
    real = await fs.realpath(p);
  } catch {
    throw new ApiError(`${p} does not exist.`, { path: p, field: 'path' });
  }
  const stat = await fs.stat(real);
  if (real.split(path.sep).some((part) => part.startsWith('.') && part.length > 1))
    throw new ApiError(`${p} is in a hidden folder; Cadenza reads only what you drop from ordinary folders.`, { path: p, field: 'path' });
  if (stat.isDirectory()) {
    if (path.dirname(real) === real || real === (await fs.realpath(os.homedir()).catch(() => os.homedir())))
      throw new ApiError(`${p} is too broad to drop whole; drop the folder of MIDI files inside it.`, { path: p, field: 'path' });
    return { path: real, folder: true };
  }
  if (!stat.isFile() || !DROP_EXTENSIONS.has(path.extname(real).toLowerCase()))
    throw new ApiError(`${p} cannot be dropped here: only MIDI (.mid, .midi), SoundFont (.sf2, .sf3) and WAV files, or folders of them.`, { path: p, field: 'path' });
  return { path: real, folder: false };
}

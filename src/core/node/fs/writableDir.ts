/**
 * Output folders: checking that one could be written before long work starts, without creating
 * it (so a run that fails on bad input leaves no empty folder behind), and making one.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { IoError } from '../../common/errors';
import { ioError } from './atomic';

/**
 * Checks, without creating anything, that `dir` is a writable folder or could be made as one:
 * its nearest existing ancestor must be a writable folder. Throws `IoError` naming `dir`, so a
 * run can refuse early and still leave no empty folder behind when its input turns out bad.
 */
export async function checkWritableDir(dir: string): Promise<void> {
  let at = path.resolve(dir);
  for (;;) {
    let stat;
    try {
      stat = await fs.stat(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = path.dirname(at);
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== at) {
        at = parent;
        continue;
      }
      if (code === 'ENOTDIR')
        throw new IoError(`Could not write to ${dir}: a part of that path is a file, not a folder.`, {
          path: dir,
          cause: error,
        });
      throw ioError(error, dir, 'write');
    }
    if (!stat.isDirectory())
      throw new IoError(`Could not write to ${dir}: a part of that path is a file, not a folder.`, { path: dir });
    try {
      await fs.access(at, fsConstants.W_OK);
    } catch (error) {
      throw ioError(error, dir, 'write');
    }
    return;
  }
}

/** Makes `dir` (and its parents) after `checkWritableDir` passes; throws `IoError` naming `dir`. */
export async function ensureWritableDir(dir: string): Promise<void> {
  await checkWritableDir(dir);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw ioError(error, dir, 'write');
  }
}

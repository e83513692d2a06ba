/**
 * Which files the UI may make the backend read or write. Reads: the data folder, folders given on
 * the command line (`cadenza serve --allow`), and files or folders the user picked in a native
 * dialog or dropped on the window. Writes: only a file the user chose in a save dialog, or the
 * data folder's `exports/` folder; never the data folder's managed files (corpus, models,
 * settings, jobs) nor what was only chosen for reading. Paths are resolved through symlinks
 * first, so `../` tricks and links that point outside are refused; free text from the page
 * never widens what is allowed.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../core/common/errors';

function inside(child: string, root: string): boolean {
  return child === root || child.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

async function realOrResolved(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/** The real path `p` will have: its nearest existing ancestor resolved through links, the rest appended. */
async function realFuture(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await fs.realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    if (parent === abs) return abs;
    return path.join(await realFuture(parent), path.basename(abs));
  }
}

/** The folder of the data folder the page may copy files into (browser mode has no save dialog). */
export const EXPORTS_FOLDER = 'exports';

/** Confines paths to the data folder and to what the user chose. */
export class PathGuard {
  private readonly dirs = new Set<string>();
  private readonly files = new Set<string>();
  private readonly writeFiles = new Set<string>();

  /** `dataDir` and `allowedDirs` are always allowed (they need not exist yet). */
  constructor(
    readonly dataDir: string,
    allowedDirs: readonly string[] = [],
  ) {
    this.dirs.add(path.resolve(dataDir));
    for (const d of allowedDirs) this.dirs.add(path.resolve(d));
  }

  /** Allows a folder the user chose (dialog, drop, command line), and everything in it. */
  async allowDir(dir: string): Promise<void> {
    this.dirs.add(await realOrResolved(dir));
  }

  /** Allows reading one file the user chose (open dialog, drop). */
  async allowFile(file: string): Promise<void> {
    this.files.add(await realFuture(file));
  }

  /** Allows writing (and then reading) exactly one file the user chose in a save dialog; it need not exist yet. */
  async allowWrite(file: string): Promise<void> {
    const target = await realFuture(file);
    this.writeFiles.add(target);
    this.files.add(target);
  }

  /**
   * The real absolute path of an existing file or folder the UI may read. Relative paths are
   * taken from the data folder. Throws `ApiError` naming `field` when the path is not allowed
   * or does not exist.
   */
  async readable(p: string, field = 'path'): Promise<string> {
    const abs = path.isAbsolute(p) ? path.normalize(p) : path.resolve(this.dataDir, p);
    let real: string;
    try {
      real = await fs.realpath(abs);
    } catch {
      throw new ApiError(`${p} does not exist.`, { path: p, field });
    }
    if (!(await this.allowed(real))) throw this.refused(p, field);
    return real;
  }

  /**
   * The real absolute path a file may be written at: exactly a file the user chose in a save
   * dialog, or inside the data folder's `exports/`. Anything else in the data folder is refused
   * (its files are Cadenza's own), and so is anything outside that was chosen only for reading.
   * The file need not exist. Throws `ApiError` naming `field` otherwise.
   */
  async writable(p: string, field = 'path'): Promise<string> {
    const abs = path.isAbsolute(p) ? path.normalize(p) : path.resolve(this.dataDir, p);
    // Links are followed, on the file and on its folders, so writing "through" one cannot land elsewhere.
    const target = await realFuture(abs);
    if (existsSync(target) && (await fs.stat(target)).isDirectory())
      throw new ApiError(`${p} is a folder, not a file.`, { path: p, field });
    const data = await realOrResolved(this.dataDir);
    const exportsDir = await realFuture(path.join(this.dataDir, EXPORTS_FOLDER));
    if (inside(target, exportsDir) && target !== exportsDir) return target;
    if (inside(target, data) || inside(target, path.resolve(this.dataDir)))
      throw new ApiError(
        `${p} is in Cadenza's data folder, whose files only Cadenza itself writes; export to a file you choose (the save dialog, or a download in the browser) or into the data folder's ${EXPORTS_FOLDER}/ folder.`,
        { path: p, field },
      );
    if (this.writeFiles.has(target)) return target;
    throw new ApiError(`${p} was not chosen in a save dialog, so Cadenza will not write it; choose where to export with the save dialog (or download it in the browser).`, {
      path: p,
      field,
    });
  }

  private async allowed(real: string): Promise<boolean> {
    if (this.files.has(real)) return true;
    for (const dir of this.dirs) {
      if (inside(real, dir) || inside(real, await realOrResolved(dir))) return true;
    }
    return false;
  }

  private refused(p: string, field: string): ApiError {
    return new ApiError(`${p} is outside the data folder and the files and folders you chose, so Cadenza will not touch it.`, {
      path: p,
      field,
    });
  }
}

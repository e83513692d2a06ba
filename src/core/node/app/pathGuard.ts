/**
 * Which files the UI may make the backend read or write: the data folder, folders given on the
 * command line (`cadenza serve --allow`), and files or folders the user picked in a native dialog
 * or dropped on the window. Paths are resolved through symlinks first, so `../` tricks and links
 * that point outside are refused; free text from the page never widens what is allowed.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../common/errors';

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

/** Confines paths to the data folder and to what the user chose. */
export class PathGuard {
  private readonly dirs = new Set<string>();
  private readonly files = new Set<string>();

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

  /** Allows one file the user chose (dialog, drop); it need not exist yet (a save dialog's answer). */
  async allowFile(file: string): Promise<void> {
    this.files.add(await this.resolveForWrite(file));
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
   * The absolute path a file may be written at: inside an allowed folder, or exactly a file
   * the user chose. The folder must exist; the file itself need not. Throws `ApiError` otherwise.
   */
  async writable(p: string, field = 'path'): Promise<string> {
    const abs = path.isAbsolute(p) ? path.normalize(p) : path.resolve(this.dataDir, p);
    const target = await this.resolveForWrite(abs);
    if (existsSync(target) && (await fs.lstat(target)).isDirectory())
      throw new ApiError(`${p} is a folder, not a file.`, { path: p, field });
    if (this.files.has(target) || (await this.allowed(target))) return target;
    throw this.refused(p, field);
  }

  private async resolveForWrite(p: string): Promise<string> {
    const abs = path.resolve(p);
    // An existing link is followed, so writing "through" it cannot land outside.
    if (existsSync(abs)) return fs.realpath(abs);
    return path.join(await realOrResolved(path.dirname(abs)), path.basename(abs));
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

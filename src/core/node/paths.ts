/** Where Cadenza keeps its data and where the bundled resources are. */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The default data folder: the same one Electron's `app.getPath('userData')` gives for an app
 * named "cadenza", so the CLI and the app share one library. `CADENZA_DATA_DIR` overrides it.
 */
export function defaultDataDir(): string {
  if (process.env.CADENZA_DATA_DIR) return path.resolve(process.env.CADENZA_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'cadenza');
  if (process.platform === 'win32')
    return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'cadenza');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'cadenza');
}

/** Where the app records a data folder the user chose (Settings > Data folder): a pointer in the default folder. */
export function dataDirPointerFile(): string {
  return path.join(defaultDataDir(), 'location.json');
}

/**
 * The data folder the app and the CLI use: `CADENZA_DATA_DIR`, else the folder chosen in the app
 * (recorded in `dataDirPointerFile()`), else `defaultDataDir()`. An unreadable or relative pointer
 * is ignored (the default folder is used), never half-followed.
 */
export function dataDir(): string {
  if (process.env.CADENZA_DATA_DIR) return defaultDataDir();
  try {
    const { dataDir: chosen } = JSON.parse(readFileSync(dataDirPointerFile(), 'utf8')) as { dataDir?: unknown };
    if (typeof chosen === 'string' && path.isAbsolute(chosen)) return chosen;
  } catch {
    // No choice recorded: the default folder.
  }
  return defaultDataDir();
}

/** The project root (where package.json and resources/ live), found from this file's location. */
export function projectRoot(): string {
  // Works from src/core/node (tsx, vitest) and from a bundled out/ folder one or two levels deep.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '..', '..', '..'), path.resolve(here, '..', '..'), path.resolve(here, '..')];
  return candidates.find((c) => existsSync(path.join(c, 'package.json'))) ?? candidates[0]!;
}

/** The folder of bundled resources (default models, fixtures shipped with the app). */
export function resourcesDir(): string {
  return path.join(projectRoot(), 'resources');
}

/** The shared piano corpus beside the checkout, if present (tests and benchmarks only). */
export function sharedCorpusDir(): string {
  return path.resolve(projectRoot(), '..', 'shared', 'corpora', 'piano-midi');
}

/**
 * Whether `../shared` is to be treated as absent: `CADENZA_NO_SHARED=1` makes tests (and the
 * demo's default reference) behave as on a user's clone, which has no `../shared` beside it.
 */
export function sharedHidden(): boolean {
  return process.env.CADENZA_NO_SHARED === '1';
}

/** The shared piano corpus when it is there and not hidden by `CADENZA_NO_SHARED=1`; else null. */
export function availableSharedCorpusDir(): string | null {
  const dir = sharedCorpusDir();
  return !sharedHidden() && existsSync(dir) ? dir : null;
}

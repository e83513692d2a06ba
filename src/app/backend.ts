/**
 * Opens everything the api handlers need over one data folder: settings, path guard, job
 * manager (worker threads) and the handlers themselves. Electron main and `cadenza serve` call it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ioError } from '../core/node/fs/atomic';
import { JobManager } from '../core/node/jobs/manager';
import { projectRoot } from '../core/node/paths';
import { OUTPUT_FOLDERS } from './files';
import { createAppHandlers, type AppHandlers } from './handlers';
import { dataLayout } from './layout';
import { PathGuard } from './pathGuard';
import { PreviewCache } from './preview';
import { SettingsStore } from './settings';

/** How to open a backend. */
export interface AppBackendOptions {
  dataDir: string;
  mode: 'electron' | 'browser';
  /** Folders besides the data folder the UI may read (`cadenza serve --allow`). */
  allowDirs?: string[];
  /** The job worker entry; default: `jobWorker.ts` beside this file (run through tsx). */
  workerEntry?: string | URL;
  /** A URL for an allowed file (browser mode: `/files?…&token=…`). */
  mediaUrl(realPath: string): string;
  /** Browser mode: the URL that downloads "Export all" as a ZIP named `name`. */
  exportArchiveUrl?(name: string): string;
  /** The app version shown by `app.info` (default: package.json's). */
  version?: string;
  /** Progress throttle per job in milliseconds (default 100: at most 10 events a second). */
  throttleMs?: number;
}

/** An open backend. */
export interface AppBackend {
  handlers: AppHandlers;
  jobs: JobManager;
  guard: PathGuard;
  settings: SettingsStore;
  /** Cancels running jobs and waits for them and for pending writes; a job still running `graceMs` after its cancel is terminated. */
  close(options?: { graceMs?: number }): Promise<void>;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** How long an upload is kept (the page may still be using it) before the next start removes it. */
export const UPLOAD_MAX_AGE_MS = 24 * 3600 * 1000;

/** Removes files in `dir` last modified more than `maxAgeMs` ago; a missing folder is fine. */
export async function pruneUploads(dir: string, maxAgeMs: number): Promise<number> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  let removed = 0;
  for (const e of entries) {
    const p = path.join(dir, e.name);
    const stat = await fs.lstat(p).catch(() => null);
    if (!stat || Date.now() - stat.mtimeMs <= maxAgeMs) continue;
    await fs.rm(p, { recursive: true, force: true }).catch(() => {});
    removed++;
  }
  return removed;
}

/** Creates the data folder if needed and opens settings, guard, jobs and handlers over it. */
export async function openAppBackend(options: AppBackendOptions): Promise<AppBackend> {
  const dataDir = path.resolve(options.dataDir);
  if (!existsSync(dataDir)) await fs.mkdir(dataDir, { recursive: true }).catch((e: unknown) => {
    throw ioError(e, dataDir, 'create');
  });
  await pruneUploads(path.join(dataDir, OUTPUT_FOLDERS.uploads), UPLOAD_MAX_AGE_MS);
  const guard = new PathGuard(dataDir);
  for (const d of options.allowDirs ?? []) await guard.allowDir(d);
  const settings = await SettingsStore.open(dataDir);
  const jobs = await JobManager.open({
    dataDir,
    workerEntry: options.workerEntry ?? new URL('./jobWorker.ts', import.meta.url),
    throttleMs: options.throttleMs ?? 100,
    env: () => ({ settings: settings.get() }),
  });
  const previews = new PreviewCache(dataLayout(dataDir).previews, () => settings.get());
  const handlers = createAppHandlers({
    previews,
    mode: options.mode,
    version: options.version ?? packageVersion(),
    guard,
    settings,
    jobs,
    mediaUrl: options.mediaUrl,
    ...(options.exportArchiveUrl ? { exportArchiveUrl: options.exportArchiveUrl } : {}),
  });
  return {
    handlers,
    jobs,
    guard,
    settings,
    close: async (o) => {
      previews.dispose();
      await jobs.close(o);
    },
  };
}

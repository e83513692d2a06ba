/**
 * Keeps the data folder's inner workings out of what the user reads: an uploaded file is named as
 * the user dropped it (`Mozart/k331.mid`, not `<dataDir>/uploads/Mozart/k331.mid`), and a file in a
 * job's staging folder by its own name.
 */
import path from 'node:path';
import type { JobRunner } from '../core/node/jobs/types';
import { OUTPUT_FOLDERS } from './files';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `text` with upload and staging paths of `dataDir` replaced by the names the user knows. */
export function hideInternalPaths(text: string, dataDir: string): string {
  const root = path.resolve(dataDir);
  const sep = escapeRegExp(path.sep);
  const uploads = new RegExp(escapeRegExp(path.join(root, OUTPUT_FOLDERS.uploads) + path.sep), 'g');
  // Staging folders hold only the app's own subfolders (no spaces), then the file's name.
  const staging = new RegExp(
    `${escapeRegExp(path.join(root, 'tmp', 'jobs'))}${sep}[^${sep}\\s]+${sep}(?:[^${sep}\\s]+${sep})*`,
    'g',
  );
  return text.replace(staging, '').replace(uploads, '');
}

/** Deep copy of a job result with every string passed through `hideInternalPaths`. */
function hideInResult(value: unknown, dataDir: string): unknown {
  if (typeof value === 'string') return hideInternalPaths(value, dataDir);
  if (Array.isArray(value)) return value.map((v) => hideInResult(v, dataDir));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideInResult(v, dataDir)]));
  return value;
}

/**
 * Wraps a runner so its progress lines and its error's message name no upload or staging path.
 * `resultKeys` are the result fields meant for reading (e.g. an import's `failed` list); the
 * others (files the job made) keep their real paths, which the page opens.
 */
export function inUserWords(runner: JobRunner, resultKeys: readonly string[] = []): JobRunner {
  return async (params, ctx) => {
    const hide = (text: string): string => hideInternalPaths(text, ctx.dataDir);
    try {
      const result = await runner(params, {
        ...ctx,
        onProgress: (e) => ctx.onProgress(e.message === undefined ? e : { ...e, message: hide(e.message) }),
      });
      if (!result || typeof result !== 'object' || resultKeys.length === 0) return result;
      const out = { ...(result as Record<string, unknown>) };
      for (const key of resultKeys) if (key in out) out[key] = hideInResult(out[key], ctx.dataDir);
      return out;
    } catch (error) {
      if (error instanceof Error) error.message = hide(error.message);
      throw error;
    }
  };
}

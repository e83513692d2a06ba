/**
 * The folders of the data folder the app writes its outputs to, and listing them for the UI.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { walkFiles } from '../core/node/sources/walk';

/** Output folders inside the data folder, by the name the api uses. */
export const OUTPUT_FOLDERS = {
  generated: 'generated',
  renders: 'renders',
  refined: 'refined',
  evaluations: 'evaluations',
  uploads: 'uploads',
  exports: 'exports',
} as const;

/** A file as the api lists it. */
export interface FileInfo {
  path: string;
  name: string;
  sizeBytes: number;
  modifiedAt: string;
  kind: 'midi' | 'wav' | 'json' | 'other';
}

/** The kind of a file, from its extension. */
export function fileKind(file: string): FileInfo['kind'] {
  const ext = path.extname(file).toLowerCase();
  return ext === '.mid' || ext === '.midi' ? 'midi' : ext === '.wav' ? 'wav' : ext === '.json' ? 'json' : 'other';
}

/** Describes one existing file. */
export async function fileInfo(file: string): Promise<FileInfo> {
  const stat = await fs.stat(file);
  return { path: file, name: path.basename(file), sizeBytes: stat.size, modifiedAt: stat.mtime.toISOString(), kind: fileKind(file) };
}

/** Every file under `dir` (recursively, hidden files and staging left out), newest first; [] when it does not exist. */
export async function listFiles(dir: string, limit = 5000): Promise<FileInfo[]> {
  const { files } = await walkFiles([dir]);
  const out: FileInfo[] = [];
  for (const file of files.slice(0, limit)) out.push(await fileInfo(file));
  return out.sort((a, b) => (a.modifiedAt < b.modifiedAt ? 1 : a.modifiedAt > b.modifiedAt ? -1 : a.path.localeCompare(b.path)));
}

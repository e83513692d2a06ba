/**
 * Resolves what `--reference`, `--generated`, `--refined` and `--audio` name into files: a folder
 * of MIDI and WAV files (searched recursively), a single file, a corpus data folder (its
 * corpus/index.json and blobs), or a preprocessed data folder (its index.json's source paths).
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../common/errors';
import type { SourceKind } from '../../common/evaluate/report';
import { CorpusStore } from '../corpus/store';
import { readJson } from '../fs/atomic';
import type { PieceIndexEntry } from '../preprocess/types';
import { DATASET_FILES } from '../preprocess/types';

/** One piece of a set: a MIDI file, a WAV file, or both under one name. */
export interface SourcePiece {
  /** Display name: the path relative to the set's folder, without extension. */
  name: string;
  midiPath?: string;
  audioPath?: string;
  /** For preprocessed data: the split the piece was in. */
  split?: 'train' | 'valid';
}

/** A resolved set. */
export interface ResolvedSource {
  path: string;
  kind: SourceKind;
  pieces: SourcePiece[];
  /** For preprocessed data: the tokenizer folder that holds manifest.json. */
  dataDir?: string;
}

const MIDI = /\.midi?$/i;
const WAV = /\.wav$/i;

/** The tokenizer folder of a preprocessed data folder (`dir` itself or its notes/performance/seed child), or undefined. */
export function findProcessedDataDir(dir: string): string | undefined {
  for (const d of [dir, ...['notes', 'performance', 'seed'].map((k) => path.join(dir, k))])
    if (existsSync(path.join(d, DATASET_FILES.manifest)) && existsSync(path.join(d, DATASET_FILES.index)))
      return d;
  return undefined;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() && (MIDI.test(e.name) || WAV.test(e.name))) out.push(p);
  }
}

/** Groups files by their path without extension, so `a.mid` and `a.wav` are one piece. */
function groupByStem(files: readonly string[], root: string): SourcePiece[] {
  const byName = new Map<string, SourcePiece>();
  for (const f of files) {
    const rel = path.relative(root, f) || path.basename(f);
    const name = rel
      .replace(/\.(midi?|wav)$/i, '')
      .split(path.sep)
      .join('/');
    let piece = byName.get(name);
    if (!piece) byName.set(name, (piece = { name }));
    if (WAV.test(f)) piece.audioPath = f;
    else piece.midiPath = f;
  }
  return [...byName.values()];
}

/**
 * Resolves the set named by `flag` (e.g. '--generated') at `p`. Throws `UsageError` naming the
 * flag when the path does not exist or holds no MIDI or WAV files.
 */
export async function resolveSource(p: string, flag: string): Promise<ResolvedSource> {
  const abs = path.resolve(p);
  let stat;
  try {
    stat = await fs.stat(abs);
  } catch {
    throw new UsageError(`${flag} names ${p}, which does not exist.`, { field: flag, path: p });
  }
  if (stat.isFile()) {
    if (!MIDI.test(abs) && !WAV.test(abs))
      throw new UsageError(`${flag} names ${p}, which is neither a MIDI (.mid) nor a WAV (.wav) file.`, {
        field: flag,
        path: p,
      });
    return { path: p, kind: 'file', pieces: groupByStem([abs], path.dirname(abs)) };
  }
  const dataDir = findProcessedDataDir(abs);
  if (dataDir) {
    const index = await readJson<PieceIndexEntry[]>(path.join(dataDir, DATASET_FILES.index));
    const pieces = index
      .filter((e) => typeof e.path === 'string')
      .map((e): SourcePiece => ({ name: e.id.replace(/\.midi?$/i, ''), midiPath: e.path, split: e.split }));
    if (pieces.length === 0)
      throw new UsageError(`${flag} names ${p}, whose index lists no pieces.`, { field: flag, path: p });
    return { path: p, kind: 'processed-data', pieces, dataDir };
  }
  const corpusData = existsSync(path.join(abs, 'corpus', 'index.json'))
    ? abs
    : path.basename(abs) === 'corpus' && existsSync(path.join(abs, 'index.json'))
      ? path.dirname(abs)
      : undefined;
  if (corpusData) {
    const store = await CorpusStore.open(corpusData);
    const pieces = (await store.list()).map((piece): SourcePiece => ({
      name: `${piece.composer}/${piece.title}`,
      midiPath: store.blobPath(piece.id),
    }));
    if (pieces.length === 0)
      throw new UsageError(`${flag} names ${p}, whose corpus is empty.`, { field: flag, path: p });
    return { path: p, kind: 'corpus', pieces };
  }
  const files: string[] = [];
  await walk(abs, files);
  if (files.length === 0)
    throw new UsageError(`${flag} names ${p}, which holds no MIDI (.mid) or WAV (.wav) files.`, {
      field: flag,
      path: p,
    });
  return { path: p, kind: 'midi-folder', pieces: groupByStem(files, abs) };
}

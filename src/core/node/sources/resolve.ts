/**
 * The one way in for music: what a path flag names becomes a list of `PieceRef`s. A path may be a
 * MIDI or WAV file, a folder of them (walked by `walkFiles`), a corpus data folder (its
 * corpus/index.json and blobs), or a preprocessed data folder (its index.json's source paths).
 * The app hands corpus pieces over directly with `corpusPieces`, without building folders.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../common/errors';
import type { SourceKind } from '../../common/evaluate/report';
import type { Piece } from '../corpus/piece';
import { CorpusStore } from '../corpus/store';
import { ioError, readJson } from '../fs/atomic';
import type { PieceIndexEntry, Split } from '../preprocess/types';
import { DATASET_FILES } from '../preprocess/types';
import { isMidiFileName, isWavFileName, walkFiles } from './walk';

/** One piece: a MIDI file, a WAV file, or both under one name, with what is known of it. */
export interface PieceRef {
  /**
   * Stable id: a corpus piece's content hash; in a preprocessed set, its index id; in a folder,
   * the MIDI file's path relative to the folder ('/' separators, extension kept).
   */
  id: string;
  /** Display name: the path relative to the set's folder without extension, or "composer/title". */
  name: string;
  /** The MIDI file (absolute or as recorded), when the piece has one. */
  midiPath?: string;
  /** A WAV file of the piece, when it has one. */
  audioPath?: string;
  /** The MIDI bytes, when already in memory; readers take them before `midiPath`. */
  bytes?: Uint8Array;
  composer?: string;
  title?: string;
  /** For preprocessed data: the split the piece was in. */
  split?: Split;
}

/** A resolved set. */
export interface ResolvedSource {
  path: string;
  kind: SourceKind;
  pieces: PieceRef[];
  /** For preprocessed data: the tokenizer folder that holds manifest.json. */
  dataDir?: string;
  /** Files under a walked folder that are neither MIDI nor WAV (absolute paths). */
  refused?: string[];
}

/** A corpus piece as a `PieceRef`: its id, its stored file, its credits. */
export function corpusPieceRef(store: CorpusStore, piece: Piece): PieceRef {
  return {
    id: piece.id,
    name: `${piece.composer}/${piece.title}`,
    midiPath: store.blobPath(piece.id),
    composer: piece.composer,
    title: piece.title,
  };
}

/** The corpus pieces `ids` names (all, when undefined), in the corpus's order, as `PieceRef`s. */
export async function corpusPieces(store: CorpusStore, ids?: readonly string[]): Promise<PieceRef[]> {
  const wanted = ids ? new Set(ids) : undefined;
  return (await store.list()).filter((p) => !wanted || wanted.has(p.id)).map((p) => corpusPieceRef(store, p));
}

/** The MIDI bytes of `piece`: its `bytes`, else its file read. Throws `IoError` naming the file. */
export async function pieceMidiBytes(piece: PieceRef): Promise<Uint8Array> {
  if (piece.bytes) return piece.bytes;
  if (!piece.midiPath) throw new UsageError(`${piece.name} has no MIDI file.`, { field: 'midiPath' });
  try {
    return await fs.readFile(piece.midiPath);
  } catch (error) {
    throw ioError(error, piece.midiPath, 'read');
  }
}


/** The tokenizer folder of a preprocessed data folder (`dir` itself or its notes/performance/seed child), or undefined. */
export function findProcessedDataDir(dir: string): string | undefined {
  for (const d of [dir, ...['notes', 'performance', 'seed'].map((k) => path.join(dir, k))])
    if (existsSync(path.join(d, DATASET_FILES.manifest)) && existsSync(path.join(d, DATASET_FILES.index)))
      return d;
  return undefined;
}

/** Groups files by their path without extension, so `a.mid` and `a.wav` are one piece. */
function groupByStem(files: readonly string[], root: string): PieceRef[] {
  const byName = new Map<string, PieceRef>();
  for (const f of files) {
    const rel = (path.relative(root, f) || path.basename(f)).split(path.sep).join('/');
    const name = rel.replace(/\.(midi?|wav)$/i, '');
    let piece = byName.get(name);
    if (!piece) byName.set(name, (piece = { id: rel, name }));
    if (isWavFileName(f)) piece.audioPath = f;
    else {
      piece.midiPath = f;
      piece.id = rel;
    }
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
    if (!isMidiFileName(abs) && !isWavFileName(abs))
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
      .map(
        (e): PieceRef => ({
          id: e.id,
          name: e.id.replace(/\.midi?$/i, ''),
          midiPath: e.path,
          split: e.split,
          ...(e.composer !== undefined ? { composer: e.composer } : {}),
          ...(e.title !== undefined ? { title: e.title } : {}),
        }),
      );
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
    const pieces = await corpusPieces(await CorpusStore.open(corpusData));
    if (pieces.length === 0)
      throw new UsageError(`${flag} names ${p}, whose corpus is empty.`, { field: flag, path: p });
    return { path: p, kind: 'corpus', pieces };
  }
  const { files, refused } = await walkFiles([abs], { accept: (name) => isMidiFileName(name) || isWavFileName(name) });
  if (files.length === 0)
    throw new UsageError(`${flag} names ${p}, which holds no MIDI (.mid) or WAV (.wav) files.`, {
      field: flag,
      path: p,
    });
  return { path: p, kind: 'midi-folder', pieces: groupByStem(files, abs), refused };
}

/**
 * Resolves several paths named by one flag into one set (one path: `resolveSource`). Each must
 * be a file or a folder of MIDI and WAV files; pieces keep the order given.
 */
export async function resolveSources(paths: readonly string[], flag: string): Promise<ResolvedSource> {
  if (paths.length === 0) throw new UsageError(`${flag} names no files.`, { field: flag });
  if (paths.length === 1) return resolveSource(paths[0]!, flag);
  const sets = [];
  for (const p of paths) sets.push(await resolveSource(p, flag));
  const pieces: PieceRef[] = [];
  const names = new Set<string>();
  for (const [i, set] of sets.entries())
    for (const piece of set.pieces) {
      // Two folders may both hold a piece-1: the later one is named by its place in the list.
      const name = names.has(piece.name) ? `${i + 1}/${piece.name}` : piece.name;
      names.add(name);
      pieces.push({ ...piece, name });
    }
  return { path: paths.join(', '), kind: sets.every((s) => s.kind === 'file') ? 'file' : 'midi-folder', pieces };
}

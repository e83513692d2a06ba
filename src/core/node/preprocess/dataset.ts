/** Reads a preprocessed data folder back, checking that its files agree with each other. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError, UsageError } from '../../common/errors';
import type { TokenizerKind, Vocabulary } from '../../common/tokenize/types';
import type { DatasetPiece, PieceIndexEntry, PreprocessManifest, TokenDataset } from './types';
import { DATASET_FILES, DATASET_FORMAT_VERSION } from './types';

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(
      code === 'ENOENT'
        ? `${file} is missing; run \`cadenza preprocess\` to write it.`
        : `Could not read ${file}: ${(error as Error).message}.`,
      { path: file, cause: error },
    );
  }
}

async function readJsonData<T>(file: string): Promise<T> {
  const text = await readText(file);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new DataError(`${file} is not valid JSON; run \`cadenza preprocess\` again.`, { path: file });
  }
}

/** Finds the data folder: `dir` itself when it has a manifest, else its `<kind>/` subfolder. */
async function resolveDataDir(dir: string, kind: TokenizerKind | undefined): Promise<string> {
  const has = async (d: string): Promise<boolean> =>
    fs.stat(path.join(d, DATASET_FILES.manifest)).then(
      () => true,
      () => false,
    );
  if (kind !== undefined && (await has(path.join(dir, kind)))) return path.join(dir, kind);
  if (await has(dir)) return dir;
  if (kind === undefined) {
    const found: string[] = [];
    for (const k of ['notes', 'performance', 'seed'] as const)
      if (await has(path.join(dir, k))) found.push(k);
    if (found.length === 1) return path.join(dir, found[0]!);
    if (found.length > 1)
      throw new DataError(
        `${dir} holds data for several tokenizers (${found.join(', ')}); give the folder of one of them, e.g. ${path.join(dir, found[0]!)}.`,
        { path: dir },
      );
  }
  // Names nothing usable (missing, or not preprocessed data): a usage error (exit 2), not a damaged file.
  const exists = await fs.stat(dir).then(
    () => true,
    () => false,
  );
  throw new UsageError(
    exists
      ? `--data_path names ${dir}, which holds no preprocessed data (no ${DATASET_FILES.manifest}); run \`cadenza preprocess\` first.`
      : `--data_path names ${dir}, which does not exist.`,
    { path: dir, field: '--data_path' },
  );
}

/**
 * Loads a folder written by `cadenza preprocess`: `dir` is a tokenizer's folder
 * (`processed_data/notes`) or the output folder when it holds one kind (or `kind` picks one).
 * Throws `UsageError` naming --data_path when `dir` does not exist or holds no preprocessed data,
 * `DataError` naming the file when anything in it is missing or inconsistent.
 */
export async function loadTokenDataset(dir: string, kind?: TokenizerKind): Promise<TokenDataset> {
  const dataDir = await resolveDataDir(dir, kind);
  const file = (name: string): string => path.join(dataDir, name);
  const manifest = await readJsonData<PreprocessManifest>(file(DATASET_FILES.manifest));
  const bad = (name: string, reason: string): DataError =>
    new DataError(`${file(name)} ${reason}; run \`cadenza preprocess\` again.`, { path: file(name) });
  if (manifest.formatVersion !== DATASET_FORMAT_VERSION)
    throw bad(
      DATASET_FILES.manifest,
      `has format version ${String(manifest.formatVersion)}, but this Cadenza reads ${DATASET_FORMAT_VERSION}`,
    );
  if (kind !== undefined && manifest.kind !== kind)
    throw bad(DATASET_FILES.manifest, `is for the ${manifest.kind} tokenizer, not ${kind}`);

  const vocab = await readJsonData<Vocabulary>(file(DATASET_FILES.vocab));
  if (
    !Array.isArray(vocab.tokens) ||
    !Array.isArray(vocab.counts) ||
    vocab.tokens.length !== vocab.counts.length
  )
    throw bad(DATASET_FILES.vocab, 'must have as many counts as tokens');
  if (vocab.tokens.length === 0) throw bad(DATASET_FILES.vocab, 'has no tokens');
  if (vocab.kind !== manifest.kind)
    throw bad(DATASET_FILES.vocab, `is for ${vocab.kind} but the manifest says ${manifest.kind}`);
  if (manifest.counts.vocabSize !== vocab.tokens.length)
    throw bad(
      DATASET_FILES.vocab,
      `has ${vocab.tokens.length} tokens but the manifest says ${manifest.counts.vocabSize}`,
    );

  const index = await readJsonData<PieceIndexEntry[]>(file(DATASET_FILES.index));
  if (!Array.isArray(index)) throw bad(DATASET_FILES.index, 'is not a list of pieces');

  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file(DATASET_FILES.tokens));
  } catch (error) {
    throw new DataError(
      `${file(DATASET_FILES.tokens)} is missing or unreadable; run \`cadenza preprocess\` again.`,
      {
        path: file(DATASET_FILES.tokens),
        cause: error,
      },
    );
  }
  if (bytes.length % 2 !== 0) throw bad(DATASET_FILES.tokens, `has an odd number of bytes (${bytes.length})`);
  const count = bytes.length / 2;
  if (count !== manifest.counts.tokens)
    throw bad(DATASET_FILES.tokens, `holds ${count} tokens but the manifest says ${manifest.counts.tokens}`);
  const tokens = new Uint16Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let maxId = 0;
  for (let i = 0; i < count; i++) {
    const id = view.getUint16(i * 2, true);
    tokens[i] = id;
    if (id > maxId) maxId = id;
  }
  if (count > 0 && maxId >= vocab.tokens.length)
    throw bad(
      DATASET_FILES.tokens,
      `holds token id ${maxId}, beyond the vocabulary's ${vocab.tokens.length} tokens`,
    );

  const pieces: DatasetPiece[] = [];
  const ids = new Set<string>();
  for (const [i, entry] of index.entries()) {
    const where = `entry ${i} (${String(entry?.id)})`;
    if (typeof entry?.id !== 'string' || ids.has(entry.id))
      throw bad(DATASET_FILES.index, `has a missing or repeated id at ${where}`);
    ids.add(entry.id);
    if (entry.split !== 'train' && entry.split !== 'valid')
      throw bad(DATASET_FILES.index, `has split "${String(entry.split)}" at ${where}`);
    if (
      !Number.isInteger(entry.offset) ||
      !Number.isInteger(entry.length) ||
      entry.offset < 0 ||
      entry.length < 0 ||
      entry.offset + entry.length > count
    )
      throw bad(DATASET_FILES.index, `points outside ${DATASET_FILES.tokens} at ${where}`);
    pieces.push({
      id: entry.id,
      split: entry.split,
      tokens: tokens.subarray(entry.offset, entry.offset + entry.length),
    });
  }
  if (pieces.length !== manifest.counts.pieces)
    throw bad(
      DATASET_FILES.index,
      `lists ${pieces.length} pieces but the manifest says ${manifest.counts.pieces}`,
    );
  return { dir: dataDir, vocab, pieces, index, manifest };
}

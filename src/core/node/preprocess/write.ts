/**
 * Writes one tokenizer's data folder all at once: the files go into a temporary sibling folder,
 * which then replaces the target by rename. A crash or a cancel leaves the old folder (or none),
 * never a half-written one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Vocabulary } from '../../common/tokenize/types';
import { ioError, writeFileAtomic, writeJsonAtomic } from '../fs/atomic';
import type { PieceIndexEntry, PreprocessManifest } from './types';
import { DATASET_FILES } from './types';

/** Everything a data folder holds. */
export interface TokenDatasetContent {
  vocab: Vocabulary;
  index: PieceIndexEntry[];
  /** All pieces' ids concatenated in index order. */
  tokens: Uint16Array;
  manifest: PreprocessManifest;
}

let counter = 0;

/** Little-endian bytes of `tokens`, whatever the machine's own byte order. */
function uint16leBytes(tokens: Uint16Array): Uint8Array {
  const bytes = new Uint8Array(tokens.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < tokens.length; i++) view.setUint16(i * 2, tokens[i]!, true);
  return bytes;
}

/** Writes `content` as the data folder `dir`, replacing any folder there only once the new one is complete. */
export async function writeTokenDataset(dir: string, content: TokenDatasetContent): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  const base = path.basename(dir);
  const stamp = `${process.pid}.${Date.now()}.${counter++}`;
  const tmp = path.join(parent, `.${base}.${stamp}.tmp`);
  const old = path.join(parent, `.${base}.${stamp}.old`);
  try {
    await fs.mkdir(tmp, { recursive: true });
  } catch (error) {
    throw ioError(error, tmp, 'create');
  }
  try {
    await writeJsonAtomic(path.join(tmp, DATASET_FILES.vocab), content.vocab);
    await writeFileAtomic(path.join(tmp, DATASET_FILES.tokens), uint16leBytes(content.tokens));
    await writeJsonAtomic(path.join(tmp, DATASET_FILES.index), content.index);
    // The manifest last: its presence marks a complete folder.
    await writeJsonAtomic(path.join(tmp, DATASET_FILES.manifest), content.manifest);
    let hadOld = false;
    try {
      await fs.rename(dir, old);
      hadOld = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(error, dir, 'write');
    }
    try {
      await fs.rename(tmp, dir);
    } catch (error) {
      if (hadOld) await fs.rename(old, dir).catch(() => {});
      throw ioError(error, dir, 'write');
    }
    if (hadOld) await fs.rm(old, { recursive: true, force: true });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

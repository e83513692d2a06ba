/**
 * The app's prepared training data (`dataset/<kind>/`): whether a preset has what it trains on,
 * and whether the data still matches the corpus it was prepared from.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError } from '../core/common/errors';
import { isComposerPresetName } from '../core/common/models/composer';
import { writeJsonAtomic } from '../core/node/fs/atomic';
import { dataLayout } from './layout';

/** The file beside a prepared data set that lists the corpus pieces it was made from. */
export const CORPUS_IDS_FILE = 'corpus-ids.json';

/** The token kind a preset trains on: remi for the composer presets, notes for the windowed ones. */
export function preparedKind(preset: string): 'remi' | 'notes' {
  return isComposerPresetName(preset) ? 'remi' : 'notes';
}

/** Throws a `DataError` in the app's words when the data `preset` trains on has not been prepared. */
export function requirePreparedData(dataDir: string, preset: string): void {
  const kind = preparedKind(preset);
  const root = dataLayout(dataDir).dataset;
  if (existsSync(path.join(root, kind, 'manifest.json'))) return;
  const anyPrepared = ['remi', 'notes', 'performance'].some((k) =>
    existsSync(path.join(root, k, 'manifest.json')),
  );
  throw new DataError(
    anyPrepared
      ? `The prepared data has no ${kind} tokens, which the ${preset} preset trains on: press Prepare again first.`
      : 'The corpus has not been prepared for training yet: press Prepare data first, then Start training.',
    { field: 'preset' },
  );
}

/** Records which corpus pieces a prepared data folder was made from (sorted ids). */
export async function writeCorpusIds(datasetDir: string, ids: readonly string[]): Promise<void> {
  await writeJsonAtomic(path.join(datasetDir, CORPUS_IDS_FILE), [...ids].sort());
}

/** How the corpus has moved on since its data was prepared. */
export interface Staleness {
  /** Corpus pieces the prepared data does not hold. */
  added: number;
  /** Pieces the prepared data holds that the corpus no longer has. */
  removed: number;
  /** True when training would not see the corpus as it is now. */
  stale: boolean;
}

/**
 * Compares the prepared data of `kind` with the corpus's piece ids. Data prepared before the ids
 * were recorded is compared by count (`preparedPieces`, what its manifest says).
 */
export async function staleness(
  dataDir: string,
  kind: string,
  corpusIds: readonly string[],
  preparedPieces: number,
): Promise<Staleness> {
  const file = path.join(dataLayout(dataDir).dataset, kind, CORPUS_IDS_FILE);
  const recorded = await fs
    .readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => null);
  if (!Array.isArray(recorded)) {
    const added = Math.max(0, corpusIds.length - preparedPieces);
    return { added, removed: 0, stale: added > 0 };
  }
  const then = new Set(recorded.map(String));
  const now = new Set(corpusIds);
  const added = corpusIds.filter((id) => !then.has(id)).length;
  const removed = [...then].filter((id) => !now.has(id)).length;
  return { added, removed, stale: added + removed > 0 };
}

/** How the Train screen words the prepared training data. */
import { formatCount } from '../format/time';

/** What `preprocess.info` says about the prepared data. */
export interface PreparedInfo {
  pieces: number;
  addedPieces?: number;
  removedPieces?: number;
  stale?: boolean;
}

/** One sentence when the corpus has moved on since the data was prepared; null when it has not. */
export function staleText(info: PreparedInfo | null): string | null {
  if (!info?.stale) return null;
  const added = info.addedPieces ?? 0;
  const removed = info.removedPieces ?? 0;
  const pieces = (n: number): string => `${formatCount(n)} ${n === 1 ? 'piece' : 'pieces'}`;
  const changes = [
    added > 0 ? `${pieces(added)} ${added === 1 ? 'was' : 'were'} imported` : '',
    removed > 0 ? `${pieces(removed)} ${removed === 1 ? 'was' : 'were'} removed` : '',
  ].filter(Boolean);
  const what = changes.length ? changes.join(' and ') : 'the corpus changed';
  return `${what[0]!.toUpperCase()}${what.slice(1)} since the data was prepared, so training would use the old ${pieces(info.pieces)}: prepare again to train on the corpus as it is.`;
}

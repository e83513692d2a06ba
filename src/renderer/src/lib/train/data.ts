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

/** What `train.estimate` answers. */
export interface EstimateInfo {
  steps: number;
  epochs: number;
  seconds: number;
  basis: 'measured' | 'reference';
}

/** The preset's time on this corpus, in one line: "About 30 s: 2,000 steps (10 epochs), at the pace of its last run here." */
export function estimateText(estimate: EstimateInfo | null, composer: boolean): string | null {
  if (!estimate) return null;
  const s = Math.max(1, Math.round(estimate.seconds));
  const time =
    s < 60
      ? `${s} s`
      : s < 3600
        ? `${Math.round(s / 60)} min`
        : `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
  const steps = `${formatCount(estimate.steps)} steps${composer ? '' : ` (${estimate.epochs} ${estimate.epochs === 1 ? 'epoch' : 'epochs'})`}`;
  const basis =
    estimate.basis === 'measured'
      ? 'at the pace of its last run here'
      : 'at the pace measured on a 2-core machine; the first run here measures yours';
  return `About ${time} on this corpus: ${steps}, ${basis}.`;
}

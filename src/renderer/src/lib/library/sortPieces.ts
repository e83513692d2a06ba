/** Search and sort of the library list, done in the page so every column can sort instantly. */
import type { PieceSummary } from '../../../../api/schemas';
import { composerSortKey, foldName } from '../../../../core/common/song/credits';

/** Columns the library sorts by. */
export type SortKey = 'composer' | 'title' | 'duration' | 'notes';

/**
 * Pieces matching `query` (title, composer or file name; case and accents ignored, so "etude"
 * finds "Étude"; every word must match), sorted by `key`. Composers sort by surname.
 */
export function filterAndSort(pieces: readonly PieceSummary[], query: string, key: SortKey, descending: boolean): PieceSummary[] {
  const words = foldName(query).split(/\s+/).filter(Boolean);
  const matches =
    words.length === 0
      ? [...pieces]
      : pieces.filter((p) => {
          const hay = foldName(`${p.title} ${p.composer ?? ''} ${p.sourcePath ?? ''}`);
          return words.every((w) => hay.includes(w));
        });
  const byTitle = (a: PieceSummary, b: PieceSummary) => a.title.localeCompare(b.title, 'en', { numeric: true, sensitivity: 'base' });
  const compare: Record<SortKey, (a: PieceSummary, b: PieceSummary) => number> = {
    composer: (a, b) => composerSortKey(a.composer ?? '').localeCompare(composerSortKey(b.composer ?? ''), 'en', { sensitivity: 'base' }) || byTitle(a, b),
    title: byTitle,
    duration: (a, b) => a.durationSeconds - b.durationSeconds || byTitle(a, b),
    notes: (a, b) => a.noteCount - b.noteCount || byTitle(a, b),
  };
  const cmp = compare[key];
  matches.sort((a, b) => {
    // Pieces without a composer go last whichever way the column sorts.
    if (key === 'composer' && !a.composer !== !b.composer) return a.composer ? -1 : 1;
    return descending ? cmp(b, a) : cmp(a, b);
  });
  return matches;
}

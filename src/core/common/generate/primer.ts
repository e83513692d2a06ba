/**
 * The context a piece starts from. The model always reads exactly `window` ids: a long primer
 * gives its last `window` events; a short or missing one is filled on the left with events
 * drawn (seeded) from the vocabulary's most frequent tokens in proportion to their training
 * counts, which reads to the model like the middle of an ordinary piece.
 */
import type { Rng } from '../random';

/** How many of the most frequent tokens a filler window draws from. */
export const FILLER_TOP_TOKENS = 64;

/**
 * A context of exactly `window` ids: the end of `primer`, filled on the left from the most
 * frequent tokens by `counts` (counts[id] = training occurrences). `banned` ids are never drawn.
 */
export function primerContext(
  primer: readonly number[],
  window: number,
  counts: readonly number[],
  rng: Rng,
  banned: ReadonlySet<number> = new Set(),
): number[] {
  if (primer.length >= window) return primer.slice(primer.length - window);
  const candidates = counts
    .map((count, id) => ({ id, count }))
    .filter((c) => c.count > 0 && !banned.has(c.id))
    .sort((a, b) => b.count - a.count || a.id - b.id)
    .slice(0, FILLER_TOP_TOKENS);
  // A vocabulary without counts still needs a context: fall back to uniform over allowed ids.
  if (candidates.length === 0)
    for (let id = 0; id < counts.length && candidates.length < FILLER_TOP_TOKENS; id++) if (!banned.has(id)) candidates.push({ id, count: 1 });
  const total = candidates.reduce((s, c) => s + c.count, 0);
  const filler: number[] = [];
  for (let i = primer.length; i < window; i++) {
    let target = rng.next() * total;
    let pick = candidates[candidates.length - 1]!.id;
    for (const c of candidates) {
      target -= c.count;
      if (target < 0) {
        pick = c.id;
        break;
      }
    }
    filler.push(pick);
  }
  return [...filler, ...primer];
}

/**
 * Vocabularies: which token strings get ids, and how a token stream becomes ids with rare
 * tokens handled (kept, split exactly into known tokens, approximated, or `<unk>`).
 */
import { TokenizeError } from '../errors';
import type { Tokenizer, TokenizerKind, Vocabulary } from './types';

/** The token string of the unknown id. */
export const UNKNOWN_TOKEN = '<unk>';

/** The most ids a vocabulary may hold: token arrays are stored as Uint16. */
export const MAX_VOCABULARY_SIZE = 65535;

/** Options of `buildVocabulary`. */
export interface BuildVocabularyOptions {
  /** Tokens seen fewer times are left out (and handled by the tokenizer's `substitute`); default 1. */
  minCount?: number;
  /** The tokenizer whose `baseTokens` are always kept and whose `decompose` credits a rare token's parts. */
  tokenizer?: Pick<Tokenizer, 'baseTokens' | 'decompose'>;
  /** Keep an `<unk>` id (at id 0); default true unless every token is a base token. */
  unknown?: boolean;
}

/**
 * A vocabulary from token streams (the training split): base tokens first in their own order,
 * then kept tokens by count (descending, ties by string), so ids are deterministic. A token
 * below `minCount` gives its count to its exact parts, which may then be kept.
 */
export function buildVocabulary(
  kind: TokenizerKind,
  tokenStreams: Iterable<readonly string[]>,
  options: BuildVocabularyOptions = {},
): Vocabulary {
  const minCount = Math.max(1, options.minCount ?? 1);
  const counts = new Map<string, number>();
  for (const stream of tokenStreams) for (const t of stream) counts.set(t, (counts.get(t) ?? 0) + 1);
  const base = options.tokenizer?.baseTokens?.() ?? [];
  const baseSet = new Set(base);
  const credited = new Map<string, number>();
  for (const [token, count] of counts) {
    if (count >= minCount || baseSet.has(token)) continue;
    const parts = options.tokenizer?.decompose?.(token) ?? [token];
    if (parts.length === 1 && parts[0] === token) continue;
    for (const part of parts) credited.set(part, (credited.get(part) ?? 0) + count);
  }
  const kept = new Map<string, number>();
  for (const [token, count] of counts) if (!baseSet.has(token) && count >= minCount) kept.set(token, count);
  for (const [token, extra] of credited)
    if (!baseSet.has(token) && !kept.has(token) && (counts.get(token) ?? 0) + extra >= minCount)
      kept.set(token, counts.get(token) ?? 0);
  const wantsUnknown = options.unknown ?? true;
  const everythingIsBase = [...counts.keys()].every((t) => baseSet.has(t));
  const tokens: string[] = [];
  if (wantsUnknown && !(options.unknown === undefined && everythingIsBase && base.length > 0))
    tokens.push(UNKNOWN_TOKEN);
  tokens.push(...base);
  const sorted = [...kept.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  tokens.push(...sorted.map(([t]) => t));
  if (tokens.length > MAX_VOCABULARY_SIZE)
    throw new TokenizeError(
      `The vocabulary would hold ${tokens.length} tokens, more than the ${MAX_VOCABULARY_SIZE} that fit in 16-bit ids; raise --min-count.`,
      { field: 'minCount' },
    );
  const vocab: Vocabulary = { kind, tokens, counts: tokens.map((t) => counts.get(t) ?? 0) };
  if (tokens[0] === UNKNOWN_TOKEN) vocab.unknownId = 0;
  return vocab;
}

/** How a token stream fared against a vocabulary. */
export interface EncodeStats {
  /** Musical events in the stream (see `Tokenizer.isEvent`). */
  events: number;
  /** Events written as exactly their own token. */
  exactEvents: number;
  /** Events written as several known tokens that decode to the same notes. */
  decomposedEvents: number;
  /** Events written as known tokens that decode to slightly different notes. */
  approximatedEvents: number;
  /** Tokens written as `unknownId`. */
  unknownTokens: number;
  /** Ids written. */
  ids: number;
}

/** An empty `EncodeStats`, to sum into. */
export function emptyEncodeStats(): EncodeStats {
  return { events: 0, exactEvents: 0, decomposedEvents: 0, approximatedEvents: 0, unknownTokens: 0, ids: 0 };
}

/** Adds `b` into `a`. */
export function addEncodeStats(a: EncodeStats, b: EncodeStats): void {
  a.events += b.events;
  a.exactEvents += b.exactEvents;
  a.decomposedEvents += b.decomposedEvents;
  a.approximatedEvents += b.approximatedEvents;
  a.unknownTokens += b.unknownTokens;
  a.ids += b.ids;
}

/** A fast token-string -> id lookup for a vocabulary. */
export function vocabularyIndex(vocab: Vocabulary): Map<string, number> {
  return new Map(vocab.tokens.map((t, i) => [t, i]));
}

/**
 * Token ids for `tokens`: a known token is its id; an unknown one is replaced by the
 * tokenizer's `substitute` when it has one, else written as `unknownId` (or dropped when the
 * vocabulary has none). Returns the ids and what happened to the events.
 */
export function encodeWithVocabulary(
  tokens: readonly string[],
  vocab: Vocabulary,
  tokenizer?: Pick<Tokenizer, 'substitute' | 'isEvent'>,
  index: Map<string, number> = vocabularyIndex(vocab),
): { ids: number[]; stats: EncodeStats } {
  const ids: number[] = [];
  const stats = emptyEncodeStats();
  const has = (t: string): boolean => index.has(t);
  for (const token of tokens) {
    const isEvent = tokenizer?.isEvent?.(token) ?? true;
    if (isEvent) stats.events++;
    const id = index.get(token);
    if (id !== undefined) {
      ids.push(id);
      if (isEvent) stats.exactEvents++;
      continue;
    }
    const sub = tokenizer?.substitute?.(token, has);
    if (sub && sub.tokens.length > 0) {
      for (const t of sub.tokens) ids.push(index.get(t)!);
      if (isEvent) {
        if (sub.exact) stats.decomposedEvents++;
        else stats.approximatedEvents++;
      }
      continue;
    }
    stats.unknownTokens++;
    if (vocab.unknownId !== undefined) ids.push(vocab.unknownId);
  }
  stats.ids = ids.length;
  return { ids, stats };
}

/** The tokenizers, their vocabularies, and `getTokenizer` to pick one by kind. */
import { UsageError } from '../errors';
import { NotesTokenizer } from './notes';
import { PerformanceTokenizer } from './performance';
import { RemiTokenizer } from './remi';
import type { PerformanceOptions } from './performance';
import { SeedTokenizer } from './seed';
import type { Tokenizer, TokenizerKind } from './types';

export type { DecodeOptions, Tokenizer, TokenizerKind, Vocabulary } from './types';
export { NotesTokenizer } from './notes';
export { PerformanceTokenizer, performanceTokens } from './performance';
export { SeedTokenizer } from './seed';
export { RemiGrammar, RemiTokenizer, parseRemiToken } from './remi';
export { buildVocabulary, encodeWithVocabulary, UNKNOWN_TOKEN } from './vocabulary';
export type { EncodeStats } from './vocabulary';

/** Every tokenizer kind, in the order `--help` lists them. */
export const TOKENIZER_KINDS: readonly TokenizerKind[] = ['remi', 'notes', 'performance', 'seed'];

/** Options for `getTokenizer` (only the performance tokenizer has any). */
export type TokenizerOptions = PerformanceOptions;

/** The tokenizer of `kind`. Throws `UsageError` naming `--tokenizer` for an unknown kind. */
export function getTokenizer(kind: TokenizerKind, options: TokenizerOptions = {}): Tokenizer {
  switch (kind) {
    case 'seed':
      return new SeedTokenizer();
    case 'notes':
      return new NotesTokenizer();
    case 'remi':
      return new RemiTokenizer();
    case 'performance':
      return new PerformanceTokenizer(options);
    default:
      throw new UsageError(
        `--tokenizer must be one of ${TOKENIZER_KINDS.join(', ')}, not "${String(kind)}".`,
        {
          field: '--tokenizer',
        },
      );
  }
}

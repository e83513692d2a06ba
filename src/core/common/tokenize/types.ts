/**
 * The contract every tokenizer keeps: Song -> string tokens -> Song. Models see token ids
 * from a `Vocabulary`; they never look inside a token.
 */
import type { Song } from '../song/song';

/**
 * Which tokenization: `seed` = the original research tool's music21 note/chord names (compatibility),
 * `notes` = note/chord events with duration and onset step (the windowed LSTM's),
 * `remi` = bar, position, pitch and duration tokens (the composer's default),
 * `performance` = Music Transformer performance events (NOTE_ON, NOTE_OFF, TIME_SHIFT, VELOCITY).
 */
export type TokenizerKind = 'seed' | 'notes' | 'performance' | 'remi';

/** Options for turning tokens back into a song. */
export interface DecodeOptions {
  /** Tempo of the written song, in quarter notes per minute (tokenizers that carry no tempo use it). */
  bpm?: number;
  /** Ticks per quarter note of the written song. */
  ppq?: number;
  /** Velocity for tokenizers that carry none (1..127). */
  velocity?: number;
}

/** A tokenizer: pure, deterministic, no I/O. */
export interface Tokenizer {
  /** Which tokenization this is. */
  readonly kind: TokenizerKind;
  /** The song as a token sequence. */
  encode(song: Song): string[];
  /** A song from a token sequence; unknown or malformed tokens are skipped, never thrown on. */
  decode(tokens: readonly string[], options?: DecodeOptions): Song;
  /**
   * Rare-token handling (optional): the in-vocabulary tokens to write instead of `token` when it
   * is not in the vocabulary (`has` says what is), marked `exact` when they decode to the same
   * notes; undefined when there is no substitute (the token becomes `unknownId`).
   */
  substitute?(
    token: string,
    has: (token: string) => boolean,
  ): { tokens: string[]; exact: boolean } | undefined;
  /** The exact parts a rare token splits into, counted when building a vocabulary (optional). */
  decompose?(token: string): string[];
  /** Tokens every vocabulary of this kind holds, however rare (optional). */
  baseTokens?(): string[];
  /** Whether a token is a musical event (counted in coverage) rather than a time step (optional; default true). */
  isEvent?(token: string): boolean;
}

/** Token strings and their ids, as stored in `vocab.json` and in every model's config. */
export interface Vocabulary {
  /** Which tokenizer made these tokens. */
  kind: TokenizerKind;
  /** tokens[id] is the token string for that id. */
  tokens: string[];
  /** counts[id] is how often the token occurred in the training split. */
  counts: number[];
  /** The id unknown or rare tokens map to, if the tokenizer keeps one. */
  unknownId?: number;
}

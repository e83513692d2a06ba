/**
 * The preprocessed-data contract between `cadenza preprocess` and training: one folder per
 * tokenizer kind (`<output>/notes/`, `<output>/performance/`) holding
 * `vocab.json` (a `Vocabulary`), `tokens.bin` (every piece's token ids concatenated, Uint16
 * little-endian), `index.json` (`PieceIndexEntry[]`) and `manifest.json` (`PreprocessManifest`,
 * written last, so a folder with a manifest is complete).
 */
import type { TokenizerKind, Vocabulary } from '../../common/tokenize/types';

/** The file names inside one tokenizer's data folder. */
export const DATASET_FILES = {
  vocab: 'vocab.json',
  tokens: 'tokens.bin',
  index: 'index.json',
  manifest: 'manifest.json',
} as const;

/** The version of this folder layout; bumped when a reader of the old one would misread the new one. */
export const DATASET_FORMAT_VERSION = 1;

/** Which split a piece belongs to; the split is by piece, so no piece leaks into both. */
export type Split = 'train' | 'valid';

/** One piece's place in `tokens.bin`. */
export interface PieceIndexEntry {
  /** Stable id: the file's path relative to the input folder, with '/' separators. */
  id: string;
  /** The file as given on input (absolute). */
  path: string;
  /** sha-256 (hex) of the MIDI file's bytes, so a model can name its training pieces wherever they are stored. */
  sha256?: string;
  /** Composer, from the corpus's metadata.csv when it has one. */
  composer?: string;
  /** Title, from metadata.csv or the MIDI file's name. */
  title?: string;
  /** First token of the piece in `tokens.bin`, counted in tokens (not bytes). */
  offset: number;
  /** Number of tokens of the piece. */
  length: number;
  /** Training or validation. */
  split: Split;
}

/** A file preprocess could not use, and why (one sentence). */
export interface SkippedFile {
  /** The file's path relative to the input folder. */
  path: string;
  /** Why it was skipped. */
  reason: string;
}

/** How well the vocabulary represents the data (all shares are 0..1). */
export interface CoverageReport {
  /** Musical events (a note, or notes grouped into one token) in all pieces. */
  events: number;
  /** Share of events written as exactly their own token. */
  exactEventShare: number;
  /** Share of events written as several in-vocabulary tokens that still decode to the same notes. */
  decomposedEventShare: number;
  /** Share of events written as in-vocabulary tokens that decode to slightly different notes (e.g. a nearby duration). */
  approximatedEventShare: number;
  /** Share of tokens written as `unknownId` (information lost). */
  unknownTokenShare: number;
  /** Distinct tokens the tokenizer produced before the vocabulary cut. */
  distinctTokensBeforeCut: number;
}

/** Counts and provenance of a preprocessed folder. */
export interface PreprocessManifest {
  /** Layout version, `DATASET_FORMAT_VERSION`. */
  formatVersion: number;
  /** Which tokenizer made the tokens. */
  kind: TokenizerKind;
  /** When it was written (ISO 8601). */
  createdAt: string;
  /** The input folder or file, as given. */
  inputPath: string;
  /** sha-256 (hex) over the sorted list of `relativePath sha256(file)` lines of every input file, skipped ones included. */
  corpusHash: string;
  /** The tokenizer's own options (grid, caps…), so a decoder can be rebuilt to match. */
  tokenizerOptions: Record<string, unknown>;
  /** Seed of the validation split. */
  seed: number;
  /** Share of pieces put in the validation split. */
  validFraction: number;
  /** Tokens seen fewer times than this in the training split were decomposed or mapped to `unknownId`. */
  minCount: number;
  /** Suggested training sequence length, in tokens (recorded for training to use). */
  seqLength: number;
  /** Element type of `tokens.bin`. */
  tokenDtype: 'uint16le';
  /** How many of what. */
  counts: {
    /** MIDI files found in the input. */
    files: number;
    /** Pieces written (files minus skipped). */
    pieces: number;
    trainPieces: number;
    validPieces: number;
    /** Notes read from the pieces (after the tokenizer's own filtering, e.g. sustain). */
    notes: number;
    /** Musical events (see `CoverageReport.events`). */
    events: number;
    /** Token ids in `tokens.bin`. */
    tokens: number;
    trainTokens: number;
    validTokens: number;
    /** Length of `vocab.json`'s `tokens`. */
    vocabSize: number;
  };
  /** How well the vocabulary covers the data. */
  coverage: CoverageReport;
  /** Files that were not used, with the reason. */
  skipped: SkippedFile[];
  /** Wall-clock seconds of each phase. */
  timings: { readSeconds: number; tokenizeSeconds: number; writeSeconds: number; totalSeconds: number };
}

/** One piece of a loaded dataset. */
export interface DatasetPiece {
  /** Same as `PieceIndexEntry.id`. */
  id: string;
  /** Training or validation. */
  split: Split;
  /** Its token ids (a view into the shared `tokens.bin` buffer). */
  tokens: Uint16Array;
}

/** A preprocessed folder, loaded: what training needs in one object. */
export interface TokenDataset {
  /** The folder it was loaded from. */
  dir: string;
  vocab: Vocabulary;
  pieces: DatasetPiece[];
  index: PieceIndexEntry[];
  manifest: PreprocessManifest;
}

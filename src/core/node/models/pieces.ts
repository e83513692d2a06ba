/** The pieces a model was trained (or validated) on, by content hash, for its config.json. */

/** A piece by id and the sha-256 (hex) of its MIDI file. */
export interface PieceRef {
  id: string;
  sha256: string;
}

/** What a training set says about its pieces (a `TokenDataset` fits). */
export interface PieceSource {
  pieces: readonly { id: string; split: 'train' | 'valid' }[];
  /** The data's index; `cadenza preprocess` records each file's sha-256 there. */
  index?: readonly { id: string; sha256?: string }[];
}

/**
 * The `split` pieces of `data` by hash, or undefined when the data has no index or a piece has no
 * hash (then `evaluate --model` asks for `--ngram-train` instead of guessing).
 */
export function piecesByHash(data: PieceSource, split: 'train' | 'valid'): PieceRef[] | undefined {
  if (!data.index) return undefined;
  const hashes = new Map(data.index.map((e) => [e.id, e.sha256]));
  const refs = data.pieces.filter((p) => p.split === split).map((p) => ({ id: p.id, sha256: hashes.get(p.id) ?? '' }));
  return refs.length > 0 && refs.every((p) => p.sha256 !== '') ? refs : undefined;
}

/** A MIDI file as a model sees it: its tokens with the model's tokenizer, and their ids in the model's vocabulary. */
import { ModelError } from '../../common/errors';
import { encodeWithVocabulary, getTokenizer, SeedTokenizer, TOKENIZER_KINDS } from '../../common/tokenize';
import type { EncodeStats, TokenizerKind, TokenizerOptions, Vocabulary } from '../../common/tokenize';
import { parseMidi } from '../../common/midi/read';
import type { ModelTokenizerConfig } from '../models/scorer';

/**
 * The tokens of one MIDI file's bytes with the tokenizer `kind` (and its options). Throws
 * `MidiParseError` for a file that is not MIDI.
 */
export function tokenizeMidi(
  bytes: Uint8Array,
  kind: TokenizerKind,
  file: string,
  options: TokenizerOptions = {},
): string[] {
  // seed reads the file's own event order, as music21 did; the others read a Song without sustain
  // (the performance tokenizer applies the pedal itself).
  if (kind === 'seed') return new SeedTokenizer().encodeMidi(bytes, file);
  const { song } = parseMidi(bytes, { sustain: false, path: file });
  return getTokenizer(kind, options).encode(song);
}

/** What `encodeMidiForModel` returns. */
export interface ModelEncoding {
  tokens: string[];
  /** Ids in the model's vocabulary (rare tokens substituted as in training, else its unknown id). */
  ids: number[];
  stats: EncodeStats;
}

/**
 * One MIDI file tokenized with a model's own tokenizer and encoded with its vocabulary. Throws
 * `ModelError` naming `modelPath` when the model's tokenizer is not one this build has.
 */
export function encodeMidiForModel(
  bytes: Uint8Array,
  model: { modelPath: string; tokenizer: ModelTokenizerConfig; vocab: Vocabulary },
  file: string,
  index?: Map<string, number>,
): ModelEncoding {
  const kind = model.tokenizer.kind;
  if (!(TOKENIZER_KINDS as readonly string[]).includes(kind))
    throw new ModelError(
      `The model in ${model.modelPath} uses the tokenizer "${kind}", which this build does not have (it has ${TOKENIZER_KINDS.join(', ')}).`,
      { path: model.modelPath, field: 'tokenizer.kind' },
    );
  const { kind: _kind, ...options } = model.tokenizer;
  const tokens = tokenizeMidi(bytes, kind as TokenizerKind, file, options as TokenizerOptions);
  const tokenizer = getTokenizer(kind as TokenizerKind, options as TokenizerOptions);
  const { ids, stats } = encodeWithVocabulary(tokens, model.vocab, tokenizer, index);
  return { tokens, ids, stats };
}

/**
 * Resolving `--primer`: a MIDI file, a corpus piece (`corpus:<id>`), or none. A primer becomes
 * token ids in the model's vocabulary with `encodeWithVocabulary` (rare tokens are split into
 * known ones where the tokenizer can, else written as the unknown id). The generated piece
 * continues the primer, which is not written into the output.
 */
import { promises as fs } from 'node:fs';
import { MidiParseError, UsageError } from '../../common/errors';
import type { Song } from '../../common/song/song';
import type { Tokenizer, Vocabulary } from '../../common/tokenize/types';
import { encodeWithVocabulary } from '../../common/tokenize/vocabulary';
import { readMidiFile } from '../midi/read';

/** A primer ready for the model. */
export interface ResolvedPrimer {
  /** Where it came from. */
  kind: 'none' | 'midi' | 'corpus';
  /** The file or corpus id, as given. */
  source?: string;
  /** Its token ids (may be empty). */
  ids: number[];
  /** Primer tokens that the vocabulary lacks (mapped to unknownId or skipped). */
  unknownTokens: number;
  /** The primer's first tempo, when it has one, in quarter notes per minute. */
  bpm?: number;
}

/** Looks up a corpus piece's song by id, with raw (unpedalled) durations as preprocess reads training pieces. */
export type CorpusLookup = (id: string) => Promise<Song>;

/**
 * Turns a `--primer` value into ids. `undefined`, '' and 'none' mean no primer; `corpus:<id>`
 * needs `corpus`; anything else is a MIDI file path. Throws `UsageError` naming the primer when it
 * names nothing usable, `MidiParseError` when the file holds no notes (a damaged input, exit 1).
 */
export async function resolvePrimer(
  spec: string | undefined,
  vocab: Vocabulary,
  tokenizer: Tokenizer,
  corpus?: CorpusLookup,
): Promise<ResolvedPrimer> {
  if (spec === undefined || spec === '' || spec === 'none') return { kind: 'none', ids: [], unknownTokens: 0 };
  let song: Song;
  let kind: 'midi' | 'corpus';
  if (spec.startsWith('corpus:')) {
    const id = spec.slice('corpus:'.length);
    if (!corpus) throw new UsageError(`--primer ${spec} needs a corpus store to read the piece from.`, { field: 'primer' });
    song = await corpus(id);
    kind = 'corpus';
  } else {
    const stat = await fs.stat(spec).catch(() => undefined);
    if (!stat) throw new UsageError(`--primer names ${spec}, which does not exist.`, { field: 'primer', path: spec });
    if (!stat.isFile()) throw new UsageError(`--primer ${spec} is not a MIDI file, "corpus:<id>" or "none".`, { field: 'primer', path: spec });
    // Raw durations, as preprocess reads training pieces: the notes tokenizer expects them and the
    // performance tokenizer applies the pedal itself.
    song = (await readMidiFile(spec, { path: spec, sustain: false })).song;
    kind = 'midi';
  }
  const { ids, stats } = encodeWithVocabulary(tokenizer.encode(song), vocab, tokenizer);
  const unknown = stats.unknownTokens;
  if (ids.length === 0) throw new MidiParseError(`--primer ${spec} has no notes the model can read.`, { field: 'primer', path: spec });
  const resolved: ResolvedPrimer = { kind, source: spec, ids, unknownTokens: unknown };
  if (song.tempos[0]) resolved.bpm = song.tempos[0].bpm;
  return resolved;
}

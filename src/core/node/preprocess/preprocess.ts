/**
 * `cadenza preprocess`: reads a folder of MIDI files (or one file), tokenizes every piece with
 * the chosen tokenizers, splits pieces into training and validation with a fixed seed, builds
 * each vocabulary from the training split, and writes one data folder per tokenizer
 * (`<output>/notes/`, `<output>/performance/`; see `types.ts` for the layout).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { CorpusError, IoError, MidiParseError, UsageError, throwIfCancelled } from '../../common/errors';
import type { RunOptions } from '../../common/progress';
import { Rng } from '../../common/random';
import type { Song } from '../../common/song/song';
import { getTokenizer } from '../../common/tokenize';
import type { Tokenizer, TokenizerKind } from '../../common/tokenize/types';
import type { EncodeStats } from '../../common/tokenize/vocabulary';
import {
  addEncodeStats,
  buildVocabulary,
  emptyEncodeStats,
  encodeWithVocabulary,
  vocabularyIndex,
} from '../../common/tokenize/vocabulary';
import { creditsOfFile, MetadataLookup, METADATA_FILE } from '../corpus/metadata';
import type { MidiText } from '../../common/song/credits';
import { parseMidi } from '../../common/midi/read';
import type { PieceRef } from '../sources/resolve';
import { pieceMidiBytes } from '../sources/resolve';
import { isMidiFileName, walkFiles } from '../sources/walk';
import type { PieceIndexEntry, PreprocessManifest, SkippedFile, Split } from './types';
import { DATASET_FORMAT_VERSION } from './types';
import { writeTokenDataset } from './write';

/** The tokenizers preprocess writes data for. */
export type PreprocessKind = Extract<TokenizerKind, 'remi' | 'notes' | 'performance'>;

/** What to preprocess and how. */
export interface PreprocessOptions {
  /**
   * The pieces to read (from `resolveSource`, or a corpus's `corpusPieces`); their ids become the
   * dataset's piece ids and their files its provenance.
   */
  pieces?: readonly PieceRef[];
  /**
   * Without `pieces`: a folder (searched recursively for .mid/.midi) or one MIDI file. With them:
   * where they come from, recorded in the manifest.
   */
  inputPath: string;
  /** The folder that gets one subfolder per tokenizer. */
  outputPath: string;
  /** Which tokenizers (default both). */
  kinds?: PreprocessKind[];
  /** Share of pieces in the validation split, 0..0.5 (default 0.1). */
  validFraction?: number;
  /** Seed of the split (default 1). */
  seed?: number;
  /** Tokens seen fewer times in the training split are split or mapped (default `DEFAULT_MIN_COUNT`). */
  minCount?: number;
  /** Sequence length recorded for training, in tokens (default 64). */
  seqLength?: number;
}

/** The default `minCount`: keeps the notes vocabulary near 2,000 tokens on the piano corpus. */
export const DEFAULT_MIN_COUNT = 20;

/** What one tokenizer's folder got. */
export interface PreprocessKindResult {
  kind: PreprocessKind;
  /** The data folder written. */
  dir: string;
  manifest: PreprocessManifest;
}

/** What `preprocess` did. */
export interface PreprocessResult {
  outputPath: string;
  /** MIDI files found. */
  files: number;
  /** Pieces used (files minus skipped). */
  pieces: number;
  skipped: SkippedFile[];
  results: PreprocessKindResult[];
  /** Wall-clock seconds, everything included. */
  seconds: number;
}

/** One file read and tokenized. */
interface Piece {
  id: string;
  path: string;
  composer?: string;
  title?: string;
  notes: number;
  /** sha-256 (hex) of the file's bytes. */
  sha256: string;
  tokens: Map<PreprocessKind, string[]>;
  split: Split;
}

/** The pieces a folder or file holds, with the files it skipped and why. */
interface PathInput {
  pieces: PieceRef[];
  skipped: SkippedFile[];
}

/**
 * The MIDI files `inputPath` names, as pieces whose id is the path relative to the folder. Throws
 * `UsageError` when it does not exist or holds no MIDI file. Files inside `outputPath` are ours, not input.
 */
async function piecesOfPath(inputPath: string, outputPath: string): Promise<PathInput> {
  const abs = path.resolve(inputPath);
  let stat: Stats;
  try {
    stat = await fs.stat(abs);
  } catch {
    throw new UsageError(`--input_path ${inputPath} does not exist.`, { field: '--input_path', path: inputPath });
  }
  const root = stat.isDirectory() ? abs : path.dirname(abs);
  const rel = (file: string): string => path.relative(root, file).split(path.sep).join('/');
  const insideOutput = (file: string): boolean => !path.relative(outputPath, file).startsWith('..');
  const walked = await walkFiles([abs], { accept: isMidiFileName });
  const skipped: SkippedFile[] = walked.unreadable.map((u) => ({ path: rel(u.path) || u.path, reason: u.reason }));
  for (const file of walked.refused)
    if (!insideOutput(file) && path.basename(file) !== METADATA_FILE)
      skipped.push({ path: rel(file), reason: 'it is not a MIDI file (.mid or .midi)' });
  const files = walked.files.filter((f) => !insideOutput(f) && isMidiFileName(f));
  // Names nothing usable: a usage error, like a path that does not exist (exit 2, not 1).
  if (files.length === 0)
    throw new UsageError(
      stat.isDirectory()
        ? `--input_path ${inputPath} holds no MIDI files (.mid or .midi).`
        : `--input_path ${inputPath} is not a MIDI file (.mid or .midi).`,
      { path: inputPath, field: '--input_path' },
    );
  return { pieces: files.map((file) => ({ id: rel(file), name: rel(file), midiPath: file })), skipped };
}

/** Checks the options, throwing `UsageError` naming the flag. */
function checkOptions(o: PreprocessOptions): Required<Omit<PreprocessOptions, 'inputPath' | 'outputPath' | 'pieces'>> {
  const kinds = o.kinds ?? ['remi', 'notes', 'performance'];
  if (kinds.length === 0)
    throw new UsageError('--tokenizer must name at least one tokenizer.', { field: '--tokenizer' });
  const validFraction = o.validFraction ?? 0.1;
  if (!(validFraction >= 0 && validFraction <= 0.5))
    throw new UsageError(`--valid-fraction must be a number from 0 to 0.5, not "${validFraction}".`, {
      field: '--valid-fraction',
    });
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed))
    throw new UsageError(`--seed must be a whole number, not "${seed}".`, { field: '--seed' });
  const minCount = o.minCount ?? DEFAULT_MIN_COUNT;
  if (!Number.isInteger(minCount) || minCount < 1)
    throw new UsageError(`--min-count must be a whole number of at least 1, not "${minCount}".`, {
      field: '--min-count',
    });
  const seqLength = o.seqLength ?? 64;
  if (!Number.isInteger(seqLength) || seqLength < 2)
    throw new UsageError(`--seq-length must be a whole number of at least 2, not "${seqLength}".`, {
      field: '--seq-length',
    });
  return { kinds: [...new Set(kinds)], validFraction, seed, minCount, seqLength };
}

/** Splits piece ids into training and validation: shuffled with `seed`, the first share goes to validation. */
export function splitPieces(ids: readonly string[], validFraction: number, seed: number): Map<string, Split> {
  const sorted = [...ids].sort();
  const shuffled = new Rng(seed).shuffle([...sorted]);
  let valid = Math.round(sorted.length * validFraction);
  // Keep at least one piece on each side when there are two or more and a split was asked for.
  if (validFraction > 0 && sorted.length >= 2) valid = Math.min(sorted.length - 1, Math.max(1, valid));
  const out = new Map<string, Split>();
  shuffled.forEach((id, i) => out.set(id, i < valid ? 'valid' : 'train'));
  return out;
}

/**
 * Reads, tokenizes, splits and writes; see the module comment. Throws `UsageError` when
 * --input_path names nothing usable (missing, or no MIDI files), `CorpusError` when none of its
 * MIDI files can be used.
 */
export async function preprocess(
  options: PreprocessOptions,
  run: RunOptions = {},
): Promise<PreprocessResult> {
  const started = performance.now();
  const o = checkOptions(options);
  const inputPath = path.resolve(options.inputPath);
  const outputPath = path.resolve(options.outputPath);
  const input: PathInput = options.pieces
    ? { pieces: [...options.pieces], skipped: [] }
    : await piecesOfPath(options.inputPath, outputPath);
  const candidates = input.pieces;
  const skipped = input.skipped;
  const what = (only: boolean): string =>
    options.pieces ? (only ? 'The only piece given' : `${candidates.length} pieces given`) : only ? `The only MIDI file under --input_path ${options.inputPath}` : `${candidates.length} MIDI files under --input_path ${options.inputPath}`;

  const tokenizers = new Map<PreprocessKind, Tokenizer>(o.kinds.map((k) => [k, getTokenizer(k)]));
  const metadata = new MetadataLookup();
  const pieces: Piece[] = [];
  const hashes: string[] = [];
  let readSeconds = 0;
  let tokenizeSeconds = 0;
  for (const [i, ref] of candidates.entries()) {
    throwIfCancelled(run.signal);
    run.onProgress?.({ stage: 'preprocess', done: i, total: candidates.length, message: ref.name });
    const t0 = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = await pieceMidiBytes(ref);
    } catch (error) {
      if (!(error instanceof IoError || error instanceof UsageError)) throw error;
      skipped.push({ path: ref.name, reason: error.message });
      continue;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    hashes.push(`${ref.id} ${sha256}`);
    let song: Song;
    let texts: MidiText[];
    try {
      // Sustain is off here: the notes tokenizer wants written durations; the performance tokenizer applies the pedal itself.
      ({ song, texts } = parseMidi(bytes, { sustain: false, path: ref.name }));
    } catch (error) {
      if (!(error instanceof MidiParseError)) throw error;
      skipped.push({ path: ref.name, reason: error.message });
      readSeconds += (performance.now() - t0) / 1000;
      continue;
    }
    const t1 = performance.now();
    readSeconds += (t1 - t0) / 1000;
    if (song.notes.length === 0) {
      skipped.push({ path: ref.name, reason: `${ref.name} has no notes.` });
      continue;
    }
    const tokens = new Map<PreprocessKind, string[]>();
    for (const [kind, tokenizer] of tokenizers) tokens.set(kind, tokenizer.encode(song));
    tokenizeSeconds += (performance.now() - t1) / 1000;
    // A corpus piece knows its credits; a file's come from a metadata.csv beside it, else its meta events.
    const meta: { composer?: string; title?: string } =
      ref.composer !== undefined && ref.title !== undefined
        ? { composer: ref.composer, title: ref.title }
        : ref.midiPath
          ? await metadata.find(ref.midiPath, creditsOfFile({ song, texts }, ref.midiPath))
          : {};
    pieces.push({
      id: ref.id,
      path: ref.midiPath ?? ref.name,
      composer: meta.composer,
      title: meta.title,
      notes: song.notes.length,
      sha256,
      tokens,
      split: 'train',
    });
  }
  run.onProgress?.({ stage: 'preprocess', done: candidates.length, total: candidates.length });
  if (pieces.length === 0) {
    const reason = skipped.find((s) => candidates.some((c) => c.name === s.path))?.reason ?? 'unknown';
    throw new CorpusError(
      candidates.length === 1
        ? `${what(true)} could not be used; the reason: ${reason}`
        : `None of the ${what(false)} could be used; the first reason: ${reason}`,
      { path: options.inputPath, field: '--input_path', detail: skipped },
    );
  }
  const split = splitPieces(
    pieces.map((p) => p.id),
    o.validFraction,
    o.seed,
  );
  for (const p of pieces) p.split = split.get(p.id)!;
  const corpusHash = createHash('sha256').update(hashes.sort().join('\n')).digest('hex');

  const results: PreprocessKindResult[] = [];
  const contents: { dir: string; content: Parameters<typeof writeTokenDataset>[1] }[] = [];
  for (const [kind, tokenizer] of tokenizers) {
    throwIfCancelled(run.signal);
    const t0 = performance.now();
    const train = pieces.filter((p) => p.split === 'train').map((p) => p.tokens.get(kind)!);
    const vocab = buildVocabulary(kind, train, { minCount: o.minCount, tokenizer });
    const index = vocabularyIndex(vocab);
    const distinct = new Set<string>();
    for (const p of pieces) for (const t of p.tokens.get(kind)!) distinct.add(t);
    const entries: PieceIndexEntry[] = [];
    const idChunks: number[][] = [];
    const total = emptyEncodeStats();
    let offset = 0;
    let trainTokens = 0;
    for (const p of pieces) {
      const { ids, stats } = encodeWithVocabulary(p.tokens.get(kind)!, vocab, tokenizer, index);
      addEncodeStats(total, stats);
      const entry: PieceIndexEntry = { id: p.id, path: p.path, sha256: p.sha256, offset, length: ids.length, split: p.split };
      if (p.composer) entry.composer = p.composer;
      if (p.title) entry.title = p.title;
      entries.push(entry);
      idChunks.push(ids);
      offset += ids.length;
      if (p.split === 'train') trainTokens += ids.length;
    }
    const tokens = new Uint16Array(offset);
    let at = 0;
    for (const chunk of idChunks) {
      tokens.set(chunk, at);
      at += chunk.length;
    }
    tokenizeSeconds += (performance.now() - t0) / 1000;
    const manifest: PreprocessManifest = {
      formatVersion: DATASET_FORMAT_VERSION,
      kind,
      createdAt: new Date().toISOString(),
      inputPath,
      corpusHash,
      tokenizerOptions: tokenizerOptions(kind),
      seed: o.seed,
      validFraction: o.validFraction,
      minCount: o.minCount,
      seqLength: o.seqLength,
      tokenDtype: 'uint16le',
      counts: {
        files: candidates.length,
        pieces: pieces.length,
        trainPieces: pieces.filter((p) => p.split === 'train').length,
        validPieces: pieces.filter((p) => p.split === 'valid').length,
        notes: pieces.reduce((s, p) => s + p.notes, 0),
        events: total.events,
        tokens: offset,
        trainTokens,
        validTokens: offset - trainTokens,
        vocabSize: vocab.tokens.length,
      },
      coverage: coverageOf(total, distinct.size),
      skipped,
      timings: { readSeconds, tokenizeSeconds, writeSeconds: 0, totalSeconds: 0 },
    };
    const dir = path.join(outputPath, kind);
    contents.push({ dir, content: { vocab, index: entries, tokens, manifest } });
    results.push({ kind, dir, manifest });
  }
  // Write only once everything is ready, so a bad file or a cancel leaves no partial output.
  throwIfCancelled(run.signal);
  for (const { content } of contents) {
    content.manifest.timings.readSeconds = round(readSeconds);
    content.manifest.timings.tokenizeSeconds = round(tokenizeSeconds);
  }
  const writeStart = performance.now();
  for (const [i, { dir, content }] of contents.entries()) {
    run.onProgress?.({ stage: 'write', done: i, total: contents.length, message: dir });
    content.manifest.timings.writeSeconds = round((performance.now() - writeStart) / 1000);
    content.manifest.timings.totalSeconds = round((performance.now() - started) / 1000);
    await writeTokenDataset(dir, content);
  }
  return {
    outputPath,
    files: candidates.length,
    pieces: pieces.length,
    skipped,
    results,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Shares from summed encode stats. */
function coverageOf(s: EncodeStats, distinct: number): PreprocessManifest['coverage'] {
  const share = (n: number, of: number): number => (of > 0 ? round(n / of, 6) : 1);
  return {
    events: s.events,
    exactEventShare: share(s.exactEvents, s.events),
    decomposedEventShare: share(s.decomposedEvents, s.events),
    approximatedEventShare: share(s.approximatedEvents, s.events),
    unknownTokenShare: share(s.unknownTokens, s.ids),
    distinctTokensBeforeCut: distinct,
  };
}

/** The fixed settings of each tokenizer, recorded so readers know what the ids mean. */
function tokenizerOptions(kind: PreprocessKind): Record<string, unknown> {
  if (kind === 'remi') return { stepsPerQuarter: 12, sustain: false, pitchRange: [21, 108], velocity: false };
  return kind === 'notes'
    ? { stepsPerQuarter: 12, maxStep: 48, sustain: false, grouping: 'onset and duration, both hands' }
    : { timeStepSeconds: 0.01, maxShiftSteps: 100, velocityBins: 32, sustain: true };
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

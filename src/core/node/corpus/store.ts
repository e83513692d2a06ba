/**
 * The corpus: a content-addressed store of imported MIDI files and an index of their metadata.
 *
 *   <dataDir>/corpus/blobs/<id[0:2]>/<id>.mid   the file's bytes; id = sha-256 of those bytes
 *   <dataDir>/corpus/index.json                 { version: 1, pieces: Piece[] }
 *   <dataDir>/corpus/.lock                      held by whoever is changing the two above
 *
 * Consistency rules: every write is atomic; a blob is written before the index names it and
 * the index drops an entry before its blob is deleted, so the index never names a missing
 * blob; changes run under the lock file, one writer at a time (other processes included).
 * An import writes the index once, at its end: if it fails or is cancelled, the index is as it
 * was and the blobs it wrote are deleted; if the process is killed, the index is as it was and
 * the unreferenced blobs left behind are removed by the next `rescan`.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CorpusError, IoError, MidiParseError, serializeError, throwIfCancelled, type CadenzaError, type SerializedError } from '../../common/errors';
import type { RunOptions } from '../../common/progress';
import type { Song } from '../../common/song/song';
import { foldName, type MidiText } from '../../common/song/credits';
import { ioError, writeFileAtomic, writeJsonAtomic } from '../fs/atomic';
import type { MidiReadReport, ReadMidiOptions } from '../../common/midi/read';
import { checkMidiSize, parseMidi } from '../../common/midi/read';
import type { LockOptions } from './lock';
import { withLock } from './lock';
import { creditsOfFile, MetadataLookup } from './metadata';
import type { Piece } from './piece';
import { pieceSchema, pieceStats } from './piece';
import { isMidiFileName, walkFiles } from '../sources/walk';

/** What an import did. */
export interface ImportReport {
  /** Pieces new to the corpus, in the order found. */
  added: Piece[];
  /** Files whose bytes the corpus already held (or that appeared twice in this import). */
  duplicates: Array<{ path: string; id: string }>;
  /** Duplicates whose stored copy was missing or damaged and was rewritten from the imported bytes. */
  repaired: Array<{ path: string; id: string }>;
  /** Files that could not be imported, each with one sentence saying why. */
  /** Files not imported: the reason as one sentence, and the error it was (an I/O or a MIDI error), for the app. */
  skipped: Array<{ path: string; reason: string; error: SerializedError }>;
  /** Problems that did not stop any file (e.g. a metadata.csv without a "midi" column). */
  warnings: string[];
  /** Wall time of the import, in milliseconds. */
  durationMs: number;
}

/** What a rescan found and fixed. */
export interface RescanReport {
  /** Index entries checked. */
  checked: number;
  /** Entries dropped because their blob is gone. */
  missing: Piece[];
  /** Entries dropped because their blob no longer matches its hash or no longer reads as MIDI (the blob is deleted). */
  damaged: Array<{ piece: Piece; reason: string }>;
  /** Entries whose note figures changed on re-reading (e.g. after a reader fix) and were updated. */
  updated: number;
  /** Index entries that repeated an earlier entry's id, merged into it. */
  merged: number;
  /** Stored files no entry named (left by an interrupted import), deleted. */
  orphansRemoved: number;
}

/** Options of `CorpusStore.import`. */
export interface ImportOptions {
  /** Folders whose names say nothing about the pieces directly in them (the app's uploads): no composer is taken from them. */
  anonymousFolders?: readonly string[];
}

/** A change of a piece's names (`CorpusStore.rename`); an absent field is left as it is. */
export interface PieceNames {
  composer?: string;
  title?: string;
}

/** Longest composer or title a user may give, in characters. */
export const MAX_PIECE_NAME_CHARS = 200;

/** Options of `CorpusStore.open`. */
export interface CorpusStoreOptions {
  /** How long a change waits for another writer's lock, and when a lock is stale. */
  lock?: LockOptions;
}

const INDEX_VERSION = 1;
const indexSchema = z.object({ version: z.literal(INDEX_VERSION), pieces: z.array(pieceSchema) });
type IndexData = z.infer<typeof indexSchema>;

/** The corpus in one data folder. Safe to use from several processes: changes take a lock. */
export class CorpusStore {
  /** `<dataDir>/corpus`. */
  readonly dir: string;
  private readonly indexFile: string;
  private readonly lockFile: string;
  private cache: { key: string; data: IndexData; merged: number } | null = null;

  private constructor(
    /** The data folder the corpus lives in. */
    readonly dataDir: string,
    private readonly options: CorpusStoreOptions,
  ) {
    this.dir = path.join(dataDir, 'corpus');
    this.indexFile = path.join(this.dir, 'index.json');
    this.lockFile = path.join(this.dir, '.lock');
  }

  /** Opens the corpus in `dataDir` (which need not exist yet). Throws `CorpusError` if its index is damaged. */
  static async open(dataDir: string, options: CorpusStoreOptions = {}): Promise<CorpusStore> {
    const store = new CorpusStore(path.resolve(dataDir), options);
    await store.readIndex();
    return store;
  }

  /** Where the MIDI bytes of piece `id` (a full sha-256) are stored. */
  blobPath(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id))
      throw new CorpusError(`"${id}" is not a piece id (a sha-256 in hex).`, { field: 'id' });
    return path.join(this.dir, 'blobs', id.slice(0, 2), `${id}.mid`);
  }

  /** Every piece, sorted by composer, then title. */
  async list(): Promise<Piece[]> {
    const { pieces } = await this.readIndex();
    return [...pieces].sort(
      (a, b) =>
        a.composer.localeCompare(b.composer) || a.title.localeCompare(b.title) || a.id.localeCompare(b.id),
    );
  }

  /** The piece whose id is `idOrPrefix` or starts with it. Throws `CorpusError` when none or several match. */
  async get(idOrPrefix: string): Promise<Piece> {
    return resolveId((await this.readIndex()).pieces, idOrPrefix, this.indexFile);
  }

  /**
   * Pieces matching `query`, sorted as `list()`: every word of the query (case and accents
   * ignored) must occur in the composer, title or source file name, or begin the id. An empty
   * query matches everything.
   */
  async search(query: string): Promise<Piece[]> {
    const words = foldName(query).split(/\s+/).filter(Boolean);
    const all = await this.list();
    return all.filter((p) => {
      const text = foldName(`${p.composer}\n${p.title}\n${path.basename(p.sourcePath)}`);
      return words.every((w) => text.includes(w) || p.id.startsWith(w));
    });
  }

  /** Reads piece `idOrPrefix`'s notes. Throws `CorpusError` if the piece or its file is missing. */
  async readSong(idOrPrefix: string, options: ReadMidiOptions = {}): Promise<Song> {
    const piece = await this.get(idOrPrefix);
    const blob = this.blobPath(piece.id);
    const bytes = await readBytes(blob);
    if (bytes instanceof IoError)
      throw new CorpusError(`The stored file of "${piece.title}" (${piece.id.slice(0, 12)}) is missing; import the original again, or run a corpus rescan.`, {
        path: blob,
        cause: bytes,
      });
    // A flipped byte can still parse as MIDI: the content hash is what says the file is the one imported.
    if (bytes instanceof MidiParseError || createHash('sha256').update(bytes).digest('hex') !== piece.id)
      throw new CorpusError(
        `The stored file of "${piece.title}" (${piece.id.slice(0, 12)}) is damaged (it no longer matches its content hash); import the original again to repair it.`,
        { path: blob },
      );
    return parseMidi(bytes, { ...options, path: blob }).song;
  }

  /**
   * Imports MIDI files and folders (searched recursively for .mid/.midi). A file that cannot
   * be read is reported in `skipped` and the rest go on. Progress: stage 'import', files done
   * of total, the current file as message. Cancelling leaves the corpus as it was.
   */
  async import(paths: readonly string[], run: RunOptions = {}, options: ImportOptions = {}): Promise<ImportReport> {
    const started = performance.now();
    return this.change(async () => {
      const index = await this.readIndex();
      const known = new Set(index.pieces.map((p) => p.id));
      const report: ImportReport = { added: [], duplicates: [], repaired: [], skipped: [], warnings: [], durationMs: 0 };
      const { files, unreadable } = await walkFiles(paths, { accept: isMidiFileName });
      report.skipped.push(...unreadable.map((u) => skip(u.path, new IoError(u.reason, { path: u.path }))));
      const metadata = new MetadataLookup(options.anonymousFolders);
      const newBlobs: string[] = [];
      // Blob writes (each two fsyncs) overlap with parsing the next files; the index waits for all of them.
      const writes = new WriteQueue(8);
      try {
        for (let i = 0; i < files.length; i++) {
          throwIfCancelled(run.signal);
          const file = files[i]!;
          run.onProgress?.({ stage: 'import', done: i, total: files.length, message: file });
          const bytes = await readBytes(file);
          if (!(bytes instanceof Uint8Array)) {
            report.skipped.push(skip(file, bytes));
            continue;
          }
          const id = createHash('sha256').update(bytes).digest('hex');
          if (known.has(id)) {
            report.duplicates.push({ path: file, id });
            // The same bytes again: a stored copy that went missing or was damaged is put right.
            const blob = this.blobPath(id);
            const stored = await readBytes(blob);
            if (!newBlobs.includes(blob) && !(stored instanceof Uint8Array && createHash('sha256').update(stored).digest('hex') === id)) {
              await writes.add(writeFileAtomic(blob, bytes));
              report.repaired.push({ path: file, id });
            }
            continue;
          }
          let song: Song;
          let read: MidiReadReport;
          let texts: MidiText[];
          try {
            ({ song, report: read, texts } = parseMidi(bytes, { path: file }));
          } catch (error) {
            if (!(error instanceof MidiParseError)) throw error;
            report.skipped.push(skip(file, error));
            continue;
          }
          if (song.notes.length === 0) {
            report.skipped.push(skip(file, new MidiParseError(noNotesReason(file, read), { path: file })));
            continue;
          }
          const blob = this.blobPath(id);
          if (!(await exists(blob))) {
            newBlobs.push(blob);
            await writes.add(writeFileAtomic(blob, bytes));
          }
          known.add(id);
          report.added.push({
            id,
            ...(await metadata.find(file, creditsOfFile({ song, texts }, file))),
            ...pieceStats(song),
            sizeBytes: bytes.length,
            importedAt: new Date().toISOString(),
            sourcePath: file,
          });
        }
        await writes.drain();
        throwIfCancelled(run.signal);
        if (report.added.length)
          await this.writeIndex({ version: INDEX_VERSION, pieces: [...index.pieces, ...report.added] });
      } catch (error) {
        await writes.settle();
        // Nothing names these blobs yet: removing them leaves the store exactly as it was.
        await Promise.all(newBlobs.map((b) => fs.rm(b, { force: true }).catch(() => {})));
        throw error;
      }
      run.onProgress?.({ stage: 'import', done: files.length, total: files.length });
      report.warnings.push(...metadata.warnings);
      report.durationMs = performance.now() - started;
      return report;
    });
  }

  /**
   * Gives piece `idOrPrefix` the composer and title the user chose; answers the piece as stored.
   * Throws `CorpusError` naming the field when a name is empty or too long.
   */
  async rename(idOrPrefix: string, names: PieceNames): Promise<Piece> {
    const tidy = (value: string | undefined, field: keyof PieceNames): string | undefined => {
      if (value === undefined) return undefined;
      const text = value.replace(/\s+/g, ' ').trim();
      const what = field === 'title' ? 'A title' : 'A composer';
      if (!text) throw new CorpusError(`${what} cannot be empty.`, { field });
      if (text.length > MAX_PIECE_NAME_CHARS) throw new CorpusError(`${what} can be at most ${MAX_PIECE_NAME_CHARS} characters long.`, { field });
      return text;
    };
    const composer = tidy(names.composer, 'composer');
    const title = tidy(names.title, 'title');
    return this.change(async () => {
      const index = await this.readIndex();
      const piece = resolveId(index.pieces, idOrPrefix, this.indexFile);
      const renamed: Piece = { ...piece, ...(composer !== undefined ? { composer } : {}), ...(title !== undefined ? { title } : {}) };
      await this.writeIndex({ version: INDEX_VERSION, pieces: index.pieces.map((p) => (p.id === piece.id ? renamed : p)) });
      return renamed;
    });
  }

  /** Removes piece `idOrPrefix` (id or unique prefix) and its stored file; returns what was removed. */
  async remove(idOrPrefix: string): Promise<Piece> {
    return this.change(async () => {
      const index = await this.readIndex();
      const piece = resolveId(index.pieces, idOrPrefix, this.indexFile);
      await this.writeIndex({
        version: INDEX_VERSION,
        pieces: index.pieces.filter((p) => p.id !== piece.id),
      });
      await removeFile(this.blobPath(piece.id));
      return piece;
    });
  }

  /** Removes every piece whose full id is in `ids` (unknown ids are ignored); returns the removed pieces. */
  async removeMany(ids: readonly string[]): Promise<Piece[]> {
    return this.change(async () => {
      const index = await this.readIndex();
      const wanted = new Set(ids);
      const removed = index.pieces.filter((p) => wanted.has(p.id));
      if (removed.length === 0) return [];
      await this.writeIndex({
        version: INDEX_VERSION,
        pieces: index.pieces.filter((p) => !wanted.has(p.id)),
      });
      for (const p of removed) await removeFile(this.blobPath(p.id));
      return removed;
    });
  }

  /**
   * Re-reads every stored file: drops entries whose file is gone, or whose bytes no longer match
   * their id or no longer read as MIDI; refreshes note figures; deletes files no entry names.
   * Progress: stage 'rescan', pieces done of total. Cancelling leaves the corpus as it was.
   */
  async rescan(run: RunOptions = {}): Promise<RescanReport> {
    return this.change(async () => {
      const index = await this.readIndex();
      const report: RescanReport = { checked: 0, missing: [], damaged: [], updated: 0, merged: 0, orphansRemoved: 0 };
      const kept: Piece[] = [];
      const doomed: string[] = [];
      for (const piece of index.pieces) {
        throwIfCancelled(run.signal);
        run.onProgress?.({
          stage: 'rescan',
          done: report.checked,
          total: index.pieces.length,
          message: piece.title,
        });
        report.checked++;
        const blob = this.blobPath(piece.id);
        const bytes = await readBytes(blob);
        if (!(bytes instanceof Uint8Array)) {
          report.missing.push(piece);
          continue;
        }
        const reason = damageOf(bytes, piece.id, blob);
        if (typeof reason === 'string') {
          report.damaged.push({ piece, reason });
          doomed.push(blob);
          continue;
        }
        const fresh = { ...piece, ...pieceStats(reason), sizeBytes: bytes.length };
        if (JSON.stringify(fresh) !== JSON.stringify(piece)) report.updated++;
        kept.push(fresh);
      }
      throwIfCancelled(run.signal);
      report.merged += this.cache?.merged ?? 0;
      if (kept.length !== index.pieces.length || report.updated || report.merged)
        await this.writeIndex({ version: INDEX_VERSION, pieces: kept });
      for (const blob of doomed) await removeFile(blob);
      const named = new Set(kept.map((p) => this.blobPath(p.id)));
      report.orphansRemoved = await this.removeOrphans(named);
      run.onProgress?.({ stage: 'rescan', done: report.checked, total: index.pieces.length });
      return report;
    });
  }

  /**
   * Runs a change under the lock, creating the corpus folder first. Folders this call created
   * are removed again when the change stored nothing (a failed first import leaves no trace).
   */
  private async change<T>(work: () => Promise<T>): Promise<T> {
    let created: string | undefined;
    try {
      created = await fs.mkdir(this.dir, { recursive: true });
    } catch (error) {
      throw ioError(error, this.dir, 'create');
    }
    try {
      return await withLock(this.lockFile, work, this.options.lock);
    } finally {
      if (created !== undefined) await removeEmptyFolders(this.dir, created);
    }
  }

  /** The index as on disk, re-read only when the file changed (another process may have written it). */
  private async readIndex(): Promise<IndexData> {
    let key: string;
    try {
      const stat = await fs.stat(this.indexFile);
      key = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: INDEX_VERSION, pieces: [] };
      throw ioError(error, this.indexFile, 'read');
    }
    if (this.cache?.key === key) return this.cache.data;
    let text: string;
    try {
      text = await fs.readFile(this.indexFile, 'utf8');
    } catch (error) {
      throw ioError(error, this.indexFile, 'read');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw damagedIndex(this.indexFile, 'it is not valid JSON');
    }
    const result = indexSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw damagedIndex(
        this.indexFile,
        `${issue?.path.join('.') || 'its content'} is wrong (${issue?.message ?? 'unknown'})`,
      );
    }
    // An entry repeating an earlier one's id (a hand edit, a merge of two indexes) is merged into it: the first wins.
    const seen = new Set<string>();
    const pieces = result.data.pieces.filter((p) => !seen.has(p.id) && !!seen.add(p.id));
    this.cache = { key, data: { ...result.data, pieces }, merged: result.data.pieces.length - pieces.length };
    return this.cache.data;
  }

  private async writeIndex(data: IndexData): Promise<void> {
    await writeJsonAtomic(this.indexFile, data);
    this.cache = null;
  }

  /** Deletes stored files no index entry names, and temporary files of interrupted writes. */
  private async removeOrphans(named: Set<string>): Promise<number> {
    const blobs = path.join(this.dir, 'blobs');
    let removed = 0;
    let folders: string[];
    try {
      folders = await fs.readdir(blobs);
    } catch {
      return 0;
    }
    for (const folder of folders) {
      let entries: string[];
      try {
        entries = await fs.readdir(path.join(blobs, folder));
      } catch {
        continue;
      }
      for (const name of entries) {
        const file = path.join(blobs, folder, name);
        if (named.has(file)) continue;
        await removeFile(file);
        removed++;
      }
    }
    return removed;
  }
}

/** At most `limit` writes in flight; `add` waits for room, `drain` for all and rethrows the first failure. */
class WriteQueue {
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {}

  async add(write: Promise<void>): Promise<void> {
    const tracked = write.then(
      () => void this.pending.delete(tracked),
      (error: unknown) => {
        this.pending.delete(tracked);
        this.failure ??= { error };
      },
    );
    this.pending.add(tracked);
    if (this.pending.size >= this.limit) await Promise.race(this.pending);
    if (this.failure) throw this.failure.error;
  }

  async drain(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every write to finish, ignoring failures (for cleanup after an error). */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }
}

function resolveId(pieces: readonly Piece[], idOrPrefix: string, indexFile: string): Piece {
  const prefix = idOrPrefix.trim().toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(prefix))
    throw new CorpusError(`"${idOrPrefix}" is not a piece id: ids are hexadecimal (see the corpus list).`, {
      field: 'id',
    });
  const matches = pieces.filter((p) => p.id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new CorpusError(`The corpus holds no piece with id "${idOrPrefix}".`, {
      field: 'id',
      path: indexFile,
    });
  throw new CorpusError(
    `The id prefix "${idOrPrefix}" matches ${matches.length} pieces; give more of the id.`,
    { field: 'id' },
  );
}

/** Why a file that parsed holds no notes, in one sentence. */
function noNotesReason(file: string, read: MidiReadReport): string {
  const n = (count: number, what: string): string => `${count} ${what}${count === 1 ? '' : 's'}`;
  const why = read.droppedDrumNotes
    ? ` (its ${n(read.droppedDrumNotes, 'note')} ${read.droppedDrumNotes === 1 ? 'is' : 'are'} on the drum channel, which is not counted)`
    : read.droppedZeroLengthNotes
      ? ` (its ${n(read.droppedZeroLengthNotes, 'note')} ${read.droppedZeroLengthNotes === 1 ? 'has' : 'have'} no length)`
      : '';
  return `${file} holds no notes to learn from${why}.`;
}

/** A skipped file's entry: its path, the error's sentence, and the error itself. */
function skip(file: string, error: CadenzaError): ImportReport['skipped'][number] {
  return { path: file, reason: error.message, error: serializeError(error) };
}

function damagedIndex(file: string, reason: string): CorpusError {
  return new CorpusError(
    `The corpus index ${file} is damaged (${reason}); restore it from a backup, or delete it and import again.`,
    { path: file },
  );
}

/** The song in `bytes` if they still match `id` and read as MIDI, else one sentence saying why not. */
function damageOf(bytes: Uint8Array, id: string, blob: string): Song | string {
  if (createHash('sha256').update(bytes).digest('hex') !== id) return `${blob} no longer matches its hash.`;
  try {
    const { song } = parseMidi(bytes, { path: blob });
    return song.notes.length ? song : `${blob} no longer holds any notes.`;
  } catch (error) {
    if (error instanceof MidiParseError) return error.message;
    throw error;
  }
}

/** The file's bytes; an `IoError` when it cannot be read, a `MidiParseError` when it is too large to be MIDI. */
async function readBytes(file: string): Promise<Uint8Array | IoError | MidiParseError> {
  try {
    checkMidiSize((await fs.stat(file)).size, file);
    return await fs.readFile(file);
  } catch (error) {
    if (error instanceof MidiParseError) return error;
    return ioError(error, file, 'read');
  }
}

/** Removes `dir` and its parents up to `top` while they are empty; rmdir never removes a folder with files. */
async function removeEmptyFolders(dir: string, top: string): Promise<void> {
  for (let folder = dir; ; folder = path.dirname(folder)) {
    try {
      await fs.rmdir(folder);
    } catch {
      return;
    }
    if (folder === top || path.dirname(folder) === folder) return;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function removeFile(file: string): Promise<void> {
  try {
    await fs.rm(file, { force: true });
  } catch (error) {
    throw ioError(error, file, 'remove');
  }
}

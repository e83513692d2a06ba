/** The library: the corpus list, search and sort, imports with their skipped files, and the open piece. */
import type { PieceSummary } from '../../../api/schemas';
import type { Song } from '../../../core/common/song/song';
import { filterAndSort, type SortKey } from '../lib/library/sortPieces';
import { partitionMidi, pickedFromInput, type DropContents, type PickedFile, type SkippedFile } from '../lib/library/dropFiles';
import { app, errorText } from './app.svelte';
import { player } from './player.svelte';

/** Library state for the Library screen. */
export class LibraryState {
  /** Every piece in the corpus (loaded page by page). */
  pieces = $state.raw<PieceSummary[]>([]);
  /** True until the first list has arrived. */
  loading = $state(false);
  /** Why listing failed. */
  listError = $state<string | null>(null);
  /** Search text. */
  query = $state('');
  /** Sort column and direction. */
  sortKey = $state<SortKey>('title');
  descending = $state(false);
  /** The visible rows. */
  readonly visible = $derived(filterAndSort(this.pieces, this.query, this.sortKey, this.descending));

  /** The id of the running import job. */
  importJobId = $state<string | null>(null);
  /** What the last import did, for the summary line. */
  lastImport = $state.raw<{ imported: number; duplicates: number } | null>(null);
  /** Files the last import skipped, with reasons. */
  skipped = $state.raw<SkippedFile[]>([]);
  /** Why the last import failed as a whole. */
  importError = $state<string | null>(null);
  /** What the upload step is doing (browser mode uploads dropped files first). */
  uploading = $state<{ done: number; total: number } | null>(null);

  /** The open piece and its notes. */
  selectedId = $state<string | null>(null);
  openSong = $state.raw<Song | null>(null);
  openError = $state<string | null>(null);

  /** Loads the whole list. */
  async refresh(): Promise<void> {
    // Without the import stage there is no corpus to list; the drop zone says what happens instead.
    if (!app.canRun('import')) return;
    this.loading = this.pieces.length === 0;
    try {
      const all: PieceSummary[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await app.api.corpus.list({ offset, limit: 1000 });
        all.push(...page.pieces);
        if (all.length >= page.total || page.pieces.length === 0) break;
      }
      this.pieces = all;
      this.listError = null;
    } catch (error) {
      this.listError = errorText(error);
    } finally {
      this.loading = false;
    }
  }

  /** Clicking a column header: sort by it, or flip the direction. */
  sortBy(key: SortKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = key === 'duration' || key === 'notes';
    }
  }

  /**
   * Imports a drop or a pick: MIDI files (others are listed as skipped) and, in Electron, dropped
   * folders by path (the backend walks them). Browser mode uploads each MIDI file first.
   */
  async importFiles(files: readonly PickedFile[], topLevel: DropContents['topLevel'] = []): Promise<void> {
    const backend = app.backend;
    if (!backend) return;
    const electronItems = backend.mode === 'electron' && topLevel.length > 0;
    const { midi, skipped } = partitionMidi(electronItems ? topLevel.filter((t) => !t.isDirectory).map((t) => ({ file: t.file, folder: '' })) : files);
    this.skipped = skipped;
    this.importError = null;
    this.lastImport = null;
    const paths: string[] = [];
    try {
      if (backend.mode === 'electron') {
        for (const t of topLevel) if (t.isDirectory) paths.push(await backend.pathForFile(t.file));
        for (const f of midi) paths.push(await backend.pathForFile(f.file));
      } else {
        this.uploading = { done: 0, total: midi.length };
        for (const f of midi) {
          try {
            paths.push(await backend.pathForFile(f.file, f.folder));
          } catch (error) {
            this.skipped = [...this.skipped, { path: f.file.name, reason: errorText(error) }];
          }
          this.uploading = { done: this.uploading.done + 1, total: midi.length };
        }
      }
    } catch (error) {
      this.importError = errorText(error);
      return;
    } finally {
      this.uploading = null;
    }
    if (paths.length === 0) {
      if (skipped.length > 0) this.importError = 'Nothing to import: none of the dropped files is a MIDI file.';
      return;
    }
    await this.importPaths(paths);
  }

  /** Imports files or folders by path (Electron's dialog, or uploads) and waits for the job. */
  async importPaths(paths: string[]): Promise<void> {
    let summary: { imported: number; duplicates: number } | null = null;
    try {
      const { jobId } = await app.api.corpus.import({ paths });
      this.importJobId = jobId;
      const info = await app.jobs.wait(jobId);
      if (info.state === 'succeeded') {
        const result = info.result as { imported: number; duplicates: number; failed: Array<{ path: string; error: { message: string } }> };
        summary = { imported: result.imported, duplicates: result.duplicates };
        this.skipped = [...this.skipped, ...result.failed.map((f) => ({ path: f.path, reason: f.error.message }))];
      } else if (info.state === 'failed') {
        this.importError = info.error?.message ?? 'The import failed.';
      } else {
        this.importError = 'The import was cancelled; nothing was added.';
      }
    } catch (error) {
      this.importError = errorText(error);
    } finally {
      this.importJobId = null;
      await this.refresh();
    }
    // The summary appears with the refreshed list, never before it.
    this.lastImport = summary;
  }

  /** Opens the native dialog (Electron) or a file picker (browser mode) and imports what is chosen. */
  async openImportDialog(folders: boolean): Promise<void> {
    const backend = app.backend;
    if (!backend) return;
    if (backend.mode === 'electron') {
      try {
        const { paths } = await app.api.dialogs.openMidi({ folders });
        if (paths.length > 0) await this.importPaths(paths);
      } catch (error) {
        this.importError = errorText(error);
      }
      return;
    }
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    if (folders) input.webkitdirectory = true;
    else input.accept = '.mid,.midi,.kar,.smf,audio/midi';
    input.addEventListener('change', () => void this.importFiles(pickedFromInput(Array.from(input.files ?? []))));
    input.click();
  }

  /** Opens a piece in the piano roll and loads it into the transport. */
  async open(id: string): Promise<void> {
    this.selectedId = id;
    this.openError = null;
    try {
      const { piece, song } = await app.api.corpus.get({ id });
      if (this.selectedId !== id) return;
      this.openSong = song;
      player.load({ kind: 'midi', label: piece.title, song, path: piece.sourcePath, pieceId: piece.id });
    } catch (error) {
      this.openError = errorText(error);
    }
  }

  /**
   * Gives a piece the composer and title the user typed; the list shows them at once.
   * Answers null when stored, else why not (one sentence).
   */
  async rename(id: string, names: { composer?: string; title?: string }): Promise<string | null> {
    try {
      const piece = await app.api.corpus.rename({ id, ...names });
      this.pieces = this.pieces.map((p) => (p.id === id ? piece : p));
      return null;
    } catch (error) {
      return errorText(error);
    }
  }

  /**
   * Deletes a piece from the library (its stored MIDI and its entry; generated pieces, models and
   * takes are not touched). Answers null when done, else why not (one sentence).
   */
  async remove(id: string): Promise<string | null> {
    try {
      await app.api.corpus.remove({ ids: [id] });
      const at = this.pieces.findIndex((p) => p.id === id);
      this.pieces = this.pieces.filter((p) => p.id !== id);
      if (this.selectedId === id) {
        if (player.playing) player.toggle();
        this.selectedId = null;
        this.openSong = null;
        // The next piece in the list opens, so the roll is never left showing a deleted one.
        const next = this.pieces[Math.min(at, this.pieces.length - 1)];
        if (next) void this.open(next.id);
      }
      return null;
    } catch (error) {
      return errorText(error);
    }
  }

  /** Cancels the running import. */
  async cancelImport(): Promise<void> {
    if (this.importJobId) await app.api.jobs.cancel({ jobId: this.importJobId }).catch(() => {});
  }
}

/** The app's one library. */
export const library = new LibraryState();

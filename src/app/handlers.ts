/**
 * The backend's implementation of every api operation, calling the core stages. Electron's main
 * process and `cadenza serve` both build it with `createAppHandlers`; it is typed by the contract
 * (`ApiHandlers`), so each request arrives as its schema's parsed output.
 * Requests arrive already validated by the dispatcher; paths still go through the `PathGuard`.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ApiHandlers, JobParams } from '../api/contract';
import { ApiError, JobError } from '../core/common/errors';
import { decodeWav } from '../core/common/audio/wav';
import { durationSeconds } from '../core/common/song/tempo';
import { clipName, ioError, MAX_NAME_BYTES, writeFileAtomic } from '../core/node/fs/atomic';
import type { MidiReadReport } from '../core/common/midi/read';
import { readMidiFile } from '../core/node/midi/read';
import type { JobManager } from '../core/node/jobs/manager';
import type { JobRecord } from '../core/node/jobs/types';
import { CorpusStore } from '../core/node/corpus/store';
import { UNKNOWN_COMPOSER } from '../core/node/corpus/metadata';
import { bundledTransformerPath } from '../core/node/models/transformer/load';
import { bundledSoundFontPath } from '../core/node/render/soundfont';
import { kernelAvailability, webgpuAvailability } from '../core/node/tensor/availability';
import type { Piece as CorpusPiece } from '../core/node/corpus/piece';
import { datasetInfo, exportModel, importModel, listModels, listRuns, removeModel, renameModel, setDefaultModel, transformerModelDir } from './library';
import { dataLayout } from './layout';
import { resolveModelDir } from './resolveModel';
import { fileInfo, listFiles, OUTPUT_FOLDERS } from './files';
import { markTake, takesOf } from './takes';
import { listTakes, removeTake, requireGeneratedPiece, type TakeLookups } from './takeList';
import { exportEntries, writeZipFile } from './exportAll';
import type { PreviewCache } from './preview';
import type { PathGuard } from './pathGuard';
import { waveformPeaks } from './peaks';
import { integratedLoudness } from '../core/common/audio/loudness';
import type { SettingsStore } from './settings';
import { STAGE_NAMES, type StageName } from './stages';
import { requirePreparedData, staleness } from './prepared';
import { estimateTraining } from './estimate';

/** What the handlers need from their host (Electron main or the server). */
export interface AppDeps {
  mode: 'electron' | 'browser';
  version: string;
  guard: PathGuard;
  settings: SettingsStore;
  jobs: JobManager;
  /** A URL the page can fetch or play for an allowed absolute file path. */
  mediaUrl(realPath: string): string;
  /** The SoundFont previews of MIDI files (its render thread closes with the backend). */
  previews: PreviewCache;
  /** Browser mode: the URL that downloads "Export all" as one ZIP named `name`. */
  exportArchiveUrl?(name: string): string;
}

/** A job of the app: its kind is always a stage name (only `startJob` creates them). */
export type AppJob = Omit<JobRecord, 'kind'> & { kind: StageName };

/** Largest upload accepted, in bytes. */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
const UPLOAD_EXTENSIONS = new Set(['.mid', '.midi', '.sf2', '.sf3', '.wav']);

function warningsOf(report: MidiReadReport): string[] {
  const out: string[] = [];
  const say = (n: number, text: string): void => {
    if (n > 0) out.push(`${n} ${text}`);
  };
  say(report.droppedDrumNotes, 'drum notes were dropped.');
  say(report.droppedZeroLengthNotes, 'notes of zero length were dropped.');
  say(report.shortestNotes, 'notes released where they started were kept one tick long.');
  say(report.unterminatedNotes, 'notes were never released and end at their track’s last event.');
  say(report.retriggeredNotes, 'notes were cut short by the same key struck again.');
  say(report.strayNoteOffs, 'note-offs matched no sounding note and were ignored.');
  say(report.ignoredMetaEvents, 'tempo, time or key signature events had impossible values and were ignored.');
  return out;
}

/** The SoundFont renders use when Settings names none, by file name (absent when it is not installed). */
function bundledSoundFontName(): { bundledSoundFont?: string } {
  try {
    return { bundledSoundFont: path.basename(bundledSoundFontPath()).replace(/\.wasm$/, '') };
  } catch {
    return {};
  }
}

function transformerAvailable(): boolean {
  return existsSync(path.join(bundledTransformerPath(), 'config.json'));
}

interface PageRequest {
  offset: number;
  limit: number;
  sort: 'composer' | 'title' | 'duration' | 'notes' | 'imported';
  descending: boolean;
}

/** One page of pieces in the requested order (the store answers composer-then-title order). */
function page(pieces: CorpusPiece[], req: PageRequest) {
  const by: Record<PageRequest['sort'], (a: CorpusPiece, b: CorpusPiece) => number> = {
    composer: () => 0,
    title: (a, b) => a.title.localeCompare(b.title),
    duration: (a, b) => a.durationSeconds - b.durationSeconds,
    notes: (a, b) => a.noteCount - b.noteCount,
    imported: (a, b) => a.importedAt.localeCompare(b.importedAt),
  };
  // Array.prototype.sort is stable, so ties keep the store's composer-then-title order.
  const sorted = [...pieces].sort(by[req.sort]);
  if (req.descending) sorted.reverse();
  return { pieces: sorted.slice(req.offset, req.offset + req.limit).map(summaryOf), total: pieces.length };
}

/** A corpus piece as the api lists it (the store's "Unknown" is no composer: the page shows and sorts it as such). */
function summaryOf(p: CorpusPiece) {
  return {
    id: p.id,
    title: p.title,
    ...(p.composer && p.composer !== UNKNOWN_COMPOSER ? { composer: p.composer } : {}),
    sourcePath: p.sourcePath,
    durationSeconds: p.durationSeconds,
    noteCount: p.noteCount,
    importedAt: p.importedAt,
  };
}

/** A file name safe to store: its last component, odd characters replaced. */
function safeFileName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/')).replace(/[^\w.\- ()]/g, '_');
  return base.replace(/^\.+/, '_') || 'file';
}

/**
 * The folders of a relative folder path from the page ("Mozart", "Classics/Mozart"), each made
 * safe to store; `.`, `..` and empty parts are dropped, and at most the last four are kept.
 */
function safeFolderParts(folder: string | undefined): string[] {
  if (!folder) return [];
  return folder
    .split(/[\\/]+/)
    .filter((part) => part && part !== '.' && part !== '..')
    .map((part) => safeFileName(part).slice(0, 100))
    .slice(-4);
}

/** A path in `dir` no file has yet: `name`, else `name (2)`, `(3)`… with the stem shortened to keep within the name limit. */
async function uniquePath(dir: string, name: string): Promise<string> {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const named = (suffix: string): string => path.join(dir, `${clipName(stem, MAX_NAME_BYTES - Buffer.byteLength(suffix + ext))}${suffix}${ext}`);
  let candidate = named('');
  for (let i = 2; existsSync(candidate); i++) candidate = named(` (${i})`);
  return candidate;
}

/** Deletes an uploaded file, then its folders inside `uploadsDir` that it leaves empty. */
async function removeUpload(file: string, uploadsDir: string): Promise<void> {
  await fs.rm(file, { recursive: true, force: true });
  for (let dir = path.dirname(file); dir.startsWith(uploadsDir) && dir.length > uploadsDir.length; dir = path.dirname(dir)) {
    // rmdir refuses a folder that still holds files (another import's uploads): that ends the walk.
    if (!(await fs.rmdir(dir).then(() => true, () => false))) return;
  }
}

/** Builds the handler object: one async function per api operation, grouped by namespace. */
export function createAppHandlers(deps: AppDeps): ApiHandlers {
  const { guard, jobs, settings } = deps;
  const dataDir = guard.dataDir;

  let corpusStore: Promise<CorpusStore> | undefined;
  const corpus = (): Promise<CorpusStore> => {
    corpusStore ??= CorpusStore.open(dataDir).catch((error: unknown) => {
      corpusStore = undefined;
      throw error;
    });
    return corpusStore;
  };
  const activeJobs = (kind: StageName): JobRecord[] => jobs.list(1000).filter((j) => j.kind === kind && (j.state === 'running' || j.state === 'queued'));
  const busyWith = (kind: StageName): boolean => activeJobs(kind).length > 0;
  const activeRunIds = (): Set<string> =>
    new Set(
      activeJobs('train').map((j) => {
        const p = j.params as JobParams<'train'>;
        return p.resumeRunId ?? p.runId ?? '';
      }),
    );
  const startJob = (stage: StageName, params: unknown): { jobId: string } => ({ jobId: jobs.start(stage, params).id });
  const takeLookups = async (): Promise<TakeLookups> => {
    const pieces = new Map((await (await corpus()).list()).map((p) => [p.id, p.title]));
    return { models: await listModels(dataDir), pieceTitle: (id) => pieces.get(id) };
  };
  const readableAll = (paths: string[], field: string): Promise<string[]> =>
    Promise.all(paths.map((p, i) => guard.readable(p, `${field}.${i}`)));
  const previews = deps.previews;
  const dialogsUnavailable = async (): Promise<never> => {
    throw new ApiError('Native file dialogs exist only in the desktop app; in the browser, upload files instead.', { field: 'dialogs' });
  };

  return {
    app: {
      info: async () => ({
        mode: deps.mode,
        version: deps.version,
        dataDir,
        platform: process.platform,
        // Refinement also needs a Music Transformer: bundled (a checkout may not ship one) or imported.
        stages: {
          ...Object.fromEntries(STAGE_NAMES.map((stage) => [stage, true])),
          refine: transformerAvailable() || (await listModels(dataDir)).some((m) => m.kind === 'transformer'),
        },
        kernels: kernelAvailability(settings.get().blasLibrary ? { blasLibrary: settings.get().blasLibrary! } : {}),
        ...bundledSoundFontName(),
      }),
      gpu: () => webgpuAvailability(),
    },
    corpus: {
      import: async (req) => {
        const paths = await readableAll(req.paths, 'paths');
        const started = startJob('import', { paths });
        // Uploaded files are only the way in: once the import has ended (stored, duplicate or refused), they go.
        const uploadsDir = path.join(dataDir, OUTPUT_FOLDERS.uploads) + path.sep;
        const uploaded = paths.filter((p) => p.startsWith(uploadsDir));
        if (uploaded.length)
          void jobs
            .waitFor(started.jobId)
            .then(() => Promise.all(uploaded.map((p) => removeUpload(p, uploadsDir))))
            .catch(() => {});
        return started;
      },
      list: async (req) => page(await (await corpus()).list(), req),
      search: async (req) => page(await (await corpus()).search(req.query), req),
      get: async (req) => {
        const store = await corpus();
        const piece = await store.get(req.id);
        return { piece: summaryOf(piece), song: await store.readSong(piece.id) };
      },
      rename: async (req) => summaryOf(await (await corpus()).rename(req.id, req)),
      remove: async (req) => {
        if (busyWith('import') || busyWith('rescan') || busyWith('preprocess'))
          throw new JobError('The corpus is in use by a running job (import, rescan or preprocess); wait for it or cancel it first.', { field: 'ids' });
        return { removed: (await (await corpus()).removeMany(req.ids)).length };
      },
      rescan: async (req) => startJob('rescan', req),
    },
    preprocess: {
      start: async (req) => {
        if (req.tokenizer === 'seed')
          throw new ApiError('Training data can be prepared with the notes or performance tokenizer; the seed tokenizer is for reading the original tool’s data only.', { field: 'tokenizer' });
        return startJob('preprocess', req);
      },
      info: async () => {
        const info = await datasetInfo(dataDir);
        if (!info) return null;
        const ids = (await (await corpus()).list()).map((p) => p.id);
        const { added, removed, stale } = await staleness(dataDir, info.tokenizer, ids, info.pieces);
        return { ...info, addedPieces: added, removedPieces: removed, stale };
      },
    },
    train: {
      start: async (req) => {
        // Said before a job starts, in the app's words (the loader's own error names a CLI flag).
        requirePreparedData(dataDir, req.preset);
        const runId = `run-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`;
        return startJob('train', { ...req, runId });
      },
      resume: async (req) => {
        const dir = dataLayout(dataDir).model(req.runId);
        if (!existsSync(path.join(dir, 'checkpoint')) || !existsSync(path.join(dir, 'run.json')))
          throw new ApiError(`The training run ${req.runId} has no checkpoint to resume from.`, { field: 'runId' });
        // The step cap is part of what the checkpoint was made with; only the number of epochs may change.
        if (req.maxSteps !== undefined)
          throw new ApiError('maxSteps cannot change when a run is resumed; leave it out, or start a new run.', { field: 'maxSteps' });
        return startJob('train', { resumeRunId: req.runId, ...(req.epochs !== undefined ? { epochs: req.epochs } : {}) });
      },
      cancel: async () => {
        const running = activeJobs('train');
        for (const j of running) jobs.cancel(j.id);
        return { cancelled: running.length > 0 };
      },
      runs: async () => ({ runs: await listRuns(dataDir, activeRunIds()) }),
      estimate: async (req) =>
        estimateTraining(dataDir, req.preset, { epochs: req.epochs, maxSteps: req.maxSteps }),
    },
    generate: {
      start: async (req) => {
        if (req.primerPieceId && req.primerPath)
          throw new ApiError('Give primerPieceId or primerPath, not both.', { field: 'primerPath' });
        // Checked here too, so a missing model is reported at once rather than as a failed job.
        await resolveModelDir(dataDir, req.modelId);
        const primerPath = req.primerPath ? await guard.readable(req.primerPath, 'primerPath') : undefined;
        return startJob('generate', { ...req, ...(primerPath ? { primerPath } : {}) });
      },
    },
    synthesize: {
      start: async (req) => {
        const paths = await readableAll(req.paths, 'paths');
        const soundFont = req.soundFont ? await guard.readable(req.soundFont, 'soundFont') : undefined;
        return startJob('synthesize', { ...req, paths, soundFont });
      },
    },
    refine: {
      start: async (req) => {
        const modelPath = req.modelId ? await transformerModelDir(dataDir, req.modelId) : undefined;
        if (!modelPath && !transformerAvailable())
          throw new ApiError(
            `Refinement needs a Music Transformer: this build does not include one (${bundledTransformerPath()}); import one with models.import and pass its modelId.`,
            { field: 'modelId' },
          );
        return startJob('refine', { ...req, path: await guard.readable(req.path, 'path'), ...(modelPath ? { modelPath } : {}) });
      },
    },
    evaluate: {
      start: async (req) => {
        if (req.paths.length + req.refinedPaths.length === 0)
          throw new ApiError('Choose at least one piece to evaluate.', { field: 'paths' });
        return startJob('evaluate', { paths: await readableAll(req.paths, 'paths'), refinedPaths: await readableAll(req.refinedPaths, 'refinedPaths') });
      },
    },
    models: {
      list: async () => ({ models: await listModels(dataDir) }),
      import: async (req) => importModel(dataDir, await guard.readable(req.path)),
      export: async (req) => {
        const target = await guard.writable(req.path);
        // A chosen existing folder receives the model as a subfolder named after it.
        const folder = existsSync(target) && (await fs.stat(target)).isDirectory() ? path.join(target, `cadenza-model-${req.id}`) : target;
        return { path: await exportModel(dataDir, req.id, await guard.writable(folder)) };
      },
      remove: async (req) => {
        await removeModel(dataDir, req.id, activeRunIds().has(req.id));
        return { ok: true as const };
      },
      rename: async (req) => renameModel(dataDir, req.id, req.name),
      setDefault: async (req) => setDefaultModel(dataDir, req.id),
    },
    takes: {
      list: async () => ({ takes: await listTakes(dataDir, await takeLookups()) }),
      update: async (req) => {
        const file = requireGeneratedPiece(dataDir, await guard.readable(req.path, 'path'));
        await markTake(dataDir, file, req);
        const take = (await listTakes(dataDir, await takeLookups())).find((t) => path.resolve(t.midi.path) === file);
        if (!take) throw new ApiError(`The generated piece ${path.basename(req.path)} is gone.`, { path: req.path, field: 'path' });
        return take;
      },
      remove: async (req) => ({ removed: await removeTake(dataDir, await guard.readable(req.path, 'path')) }),
    },
    files: {
      readMidi: async (req) => {
        const file = await guard.readable(req.path);
        const { song, report } = await readMidiFile(file, { path: file });
        return { song, durationSeconds: durationSeconds(song), warnings: warningsOf(report) };
      },
      waveform: async (req) => {
        const file = await guard.readable(req.path);
        const bytes = await fs.readFile(file).catch((e: unknown) => {
          throw ioError(e, file, 'read');
        });
        const wav = decodeWav(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
        const { min, max } = waveformPeaks(wav, req.buckets);
        const loudness = integratedLoudness(wav.channels, wav.sampleRateHz);
        return {
          loudnessLufs: Number.isFinite(loudness) ? loudness : null,
          sampleRateHz: wav.sampleRateHz,
          channels: wav.channels.length,
          durationSeconds: wav.lengthFrames / wav.sampleRateHz,
          min,
          max,
          url: deps.mediaUrl(file),
        };
      },
      export: async (req) => {
        const from = await guard.readable(req.from, 'from');
        const to = await guard.writable(req.to, 'to');
        if ((await fs.stat(from)).isDirectory()) throw new ApiError(`${req.from} is a folder; export one file at a time.`, { path: req.from, field: 'from' });
        const bytes = await fs.readFile(from).catch((e: unknown) => {
          throw ioError(e, from, 'read');
        });
        await writeFileAtomic(to, bytes);
        return { path: to };
      },
      exportAll: async (req) => {
        const entries = await exportEntries(dataDir);
        if (entries.length === 0) throw new ApiError('There is nothing to export yet: generate or render a piece first.', { field: 'to' });
        if (!req.to) {
          if (!deps.exportArchiveUrl) throw new ApiError('Choose where to save the archive.', { field: 'to' });
          const name = (req.name ?? 'Cadenza export.zip').replace(/\.zip$/i, '') + '.zip';
          return { url: deps.exportArchiveUrl(name), files: entries.length };
        }
        const to = await guard.writable(req.to, 'to');
        return { path: await writeZipFile(to, entries), files: entries.length };
      },
      url: async (req) => ({ url: deps.mediaUrl(await guard.readable(req.path)) }),
      takes: async (req) => {
        const takes = await takesOf(dataDir, await guard.readable(req.path));
        return {
          ...(takes.render ? { render: await fileInfo(takes.render) } : {}),
          ...(takes.refined
            ? { refined: { midi: await fileInfo(takes.refined.midi), ...(takes.refined.wav ? { wav: await fileInfo(takes.refined.wav) } : {}) } }
            : {}),
        };
      },
      preview: async (req) => {
        if ((req.path === undefined) === (req.pieceId === undefined))
          throw new ApiError('Name one piece to play: a MIDI file or a library piece.', { field: 'path' });
        let midi: string;
        if (req.pieceId !== undefined) {
          const store = await corpus();
          midi = store.blobPath((await store.get(req.pieceId)).id);
        } else midi = await guard.readable(req.path!, 'path');
        const p = await previews.preview(midi, req.headSeconds !== undefined ? { headSeconds: req.headSeconds } : {});
        return {
          url: deps.mediaUrl(await guard.readable(p.wavPath)),
          durationSeconds: p.durationSeconds,
          cached: p.cached,
          ...(p.partial ? { partial: true } : {}),
        };
      },
      soundFont: async () => {
        const chosen = settings.get().soundFont;
        const file = chosen ?? bundledSoundFontPath();
        // The bundled SoundFont lives in the app's own files: a public asset, so it may be served.
        if (!chosen) await guard.allowFile(file);
        const real = await guard.readable(file, 'soundFont');
        return { url: deps.mediaUrl(real), name: path.basename(real).replace(/\.wasm$/, ''), sizeBytes: (await fs.stat(real)).size };
      },
      upload: async (req) => {
        const name = safeFileName(req.name);
        const ext = path.extname(name).toLowerCase();
        if (!UPLOAD_EXTENSIONS.has(ext))
          throw new ApiError(`${req.name} cannot be uploaded: only MIDI (.mid, .midi), SoundFont (.sf2, .sf3) and WAV files are accepted.`, { field: 'name' });
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(req.dataBase64)) throw new ApiError(`The upload of ${req.name} is not valid base64.`, { field: 'dataBase64' });
        const bytes = Buffer.from(req.dataBase64, 'base64');
        if (bytes.length > MAX_UPLOAD_BYTES) throw new ApiError(`${req.name} is larger than the ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB upload limit.`, { field: 'dataBase64' });
        // The folder it came from is kept: it names the composer when the file does not.
        const target = await uniquePath(path.join(dataDir, OUTPUT_FOLDERS.uploads, ...safeFolderParts(req.folder)), name);
        await writeFileAtomic(target, bytes);
        return fileInfo(target);
      },
      list: async (req) => ({ files: await listFiles(path.join(dataDir, OUTPUT_FOLDERS[req.folder])) }),
    },
    dialogs: {
      openMidi: dialogsUnavailable,
      openFolder: dialogsUnavailable,
      save: dialogsUnavailable,
    },
    settings: {
      get: async () => settings.get(),
      update: async (patch) => {
        if (patch.soundFont) patch = { ...patch, soundFont: await guard.readable(patch.soundFont, 'soundFont') };
        return settings.update(patch);
      },
      chooseDataDir: async (): Promise<{ dataDir: string | null; restarting: boolean }> => {
        throw new ApiError('The data folder is chosen when the server starts: run `cadenza serve --data-dir <folder>`.', { field: 'dataDir' });
      },
    },
    jobs: {
      list: async (req) => ({ jobs: jobs.list(req.limit) as AppJob[] }),
      get: async (req) => jobs.get(req.jobId) as AppJob,
      cancel: async (req) => jobs.cancel(req.jobId) as AppJob,
    },
  };
}

/** The handler object's type: the contract's. */
export type AppHandlers = ApiHandlers;

/**
 * The generated pieces as takes: each with what made it (model, seed, sampling, primer, from the
 * sidecar generate wrote beside it), what the user made of it (favourite, name; `takes.json`),
 * and its render and refinement. Deleting a take deletes the piece with its renders and refined
 * takes, and nothing outside the data folder's output folders.
 */
import { existsSync, promises as fs, realpathSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../core/common/errors';
import { readJson } from '../core/node/fs/atomic';
import { fileInfo, listFiles, OUTPUT_FOLDERS, type FileInfo } from './files';
import { bundledModelDir, BUNDLED_MODEL_ID, dataLayout } from './layout';
import { forgetTake, marksOf, takesOf } from './takes';

/** What made a generated piece, as its sidecar says. */
export interface TakeOrigin {
  /** The model by its id and name; `missing` when that model has been deleted since. */
  model?: { id?: string; name: string; missing?: boolean };
  seed?: number;
  temperature?: number;
  /** 0 = all tokens. */
  topK?: number;
  /** 1 = no limit. */
  topP?: number;
  /** Tempo written into the MIDI, in quarter notes per minute. */
  bpm?: number;
  /** What the model started from: a corpus piece (by title) or a MIDI file (by file name). */
  primer?: { kind: 'corpus' | 'midi'; label: string };
  /** When it was generated (ISO 8601). */
  generatedAt?: string;
}

/** One generated piece with its takes and marks. */
export interface TakeSummary extends TakeOrigin {
  midi: FileInfo;
  /** The name the user gave it, else the file's name without `.mid`. */
  name: string;
  /** True when the user gave it a name. */
  renamed: boolean;
  favourite: boolean;
  /** Its latest render. */
  render?: FileInfo;
  /** Its latest refinement, with its audio. */
  refined?: { midi: FileInfo; wav?: FileInfo };
}

/** The sidecar fields read here (generate writes more). */
interface Sidecar {
  generatedAt?: string;
  model?: { path?: string };
  seed?: number;
  options?: { temperature?: number; topK?: number; topP?: number; tempoBpm?: number };
  primer?: { kind?: string; source?: string | null };
}

/** Looks models and corpus pieces up by what a sidecar records. */
export interface TakeLookups {
  /** Every model, by id and name. */
  models: ReadonlyArray<{ id: string; name: string }>;
  /** A corpus piece's title, or undefined when the corpus no longer has it. */
  pieceTitle(id: string): string | undefined;
}

/** The data folder's real path: jobs record takes by real paths (the path guard's), so lists and checks use it too. */
function realDataDir(dataDir: string): string {
  try {
    return realpathSync(dataDir);
  } catch {
    return path.resolve(dataDir);
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** What a piece's sidecar says about its making ({} when it has none). */
export async function takeOrigin(dataDir: string, midi: string, lookups: TakeLookups): Promise<TakeOrigin> {
  const side = midi.replace(/\.midi?$/i, '.json');
  const s = side !== midi && existsSync(side) ? await readJson<Sidecar>(side).catch(() => null) : null;
  if (!s) return {};
  const modelDirs = new Map(
    lookups.models.map((m) => [
      path.resolve(m.id === BUNDLED_MODEL_ID ? bundledModelDir() : dataLayout(dataDir).model(m.id)),
      m,
    ]),
  );
  const modelPath = typeof s.model?.path === 'string' ? path.resolve(s.model.path) : undefined;
  const model = modelPath ? modelDirs.get(modelPath) : undefined;
  const source = typeof s.primer?.source === 'string' ? s.primer.source : undefined;
  const corpusId = source?.startsWith('corpus:') ? source.slice('corpus:'.length) : undefined;
  const primer =
    s.primer?.kind === 'corpus' && corpusId
      ? {
          kind: 'corpus' as const,
          label: lookups.pieceTitle(corpusId) ?? `a piece no longer in the library (${corpusId})`,
        }
      : s.primer?.kind === 'midi' && source
        ? { kind: 'midi' as const, label: path.basename(source) }
        : undefined;
  const opts = s.options ?? {};
  const fields = {
    seed: num(s.seed),
    temperature: num(opts.temperature),
    topK: num(opts.topK),
    topP: num(opts.topP),
    bpm: num(opts.tempoBpm),
  };
  return {
    ...(model
      ? { model: { id: model.id, name: model.name } }
      : modelPath
        ? { model: { name: path.basename(modelPath), missing: true } }
        : {}),
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    ...(primer ? { primer } : {}),
    ...(typeof s.generatedAt === 'string' ? { generatedAt: s.generatedAt } : {}),
  };
}

/** Every generated piece as a take, newest first. */
export async function listTakes(dataDir: string, lookups: TakeLookups): Promise<TakeSummary[]> {
  dataDir = realDataDir(dataDir);
  const marks = await marksOf(dataDir);
  const pieces = (await listFiles(path.join(dataDir, OUTPUT_FOLDERS.generated))).filter(
    (f) => f.kind === 'midi',
  );
  return Promise.all(
    pieces.map(async (midi) => {
      const mark = marks.get(path.resolve(midi.path));
      const kept = await takesOf(dataDir, midi.path);
      return {
        midi,
        name: mark?.name ?? midi.name.replace(/\.midi?$/i, ''),
        renamed: mark?.name !== undefined,
        favourite: mark?.favourite ?? false,
        ...(await takeOrigin(dataDir, midi.path, lookups)),
        ...(kept.render ? { render: await fileInfo(kept.render) } : {}),
        ...(kept.refined
          ? {
              refined: {
                midi: await fileInfo(kept.refined.midi),
                ...(kept.refined.wav ? { wav: await fileInfo(kept.refined.wav) } : {}),
              },
            }
          : {}),
      };
    }),
  );
}

/** True when `file` lies inside `folder` (both absolute). */
function inside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Deletes a file and the `.json` sidecar beside it (renders and refinements name theirs `<wav>.json`). */
async function removeWithSidecars(file: string): Promise<void> {
  for (const f of [file, `${file}.json`, file.replace(/\.(midi?|wav)$/i, '.json')])
    await fs.rm(f, { force: true });
}

/** Deletes the folders `file` leaves empty, up to (not including) `top`. */
async function pruneEmpty(file: string, top: string): Promise<void> {
  for (let dir = path.dirname(file); inside(dir, top); dir = path.dirname(dir)) {
    // rmdir refuses a folder that still holds other pieces of the same job: that ends the walk.
    if (
      !(await fs.rmdir(dir).then(
        () => true,
        () => false,
      ))
    )
      return;
  }
}

/** Refuses a file that is not a generated piece (an absolute path under `generated/`), naming it. */
export function requireGeneratedPiece(dataDir: string, midi: string): string {
  const piece = path.resolve(midi);
  if (!inside(piece, path.join(realDataDir(dataDir), OUTPUT_FOLDERS.generated)) || !/\.midi?$/i.test(piece))
    throw new ApiError(
      `${path.basename(midi)} is not a generated piece; only generated pieces are kept as takes.`,
      { path: midi, field: 'path' },
    );
  return piece;
}

/**
 * Deletes the generated piece `midi` (an absolute path under `generated/`) with its sidecar,
 * its render and its refinement (MIDI, WAV and theirs); answers the files deleted.
 */
export async function removeTake(dataDir: string, midi: string): Promise<string[]> {
  dataDir = realDataDir(dataDir);
  const folder = (name: keyof typeof OUTPUT_FOLDERS): string => path.join(dataDir, OUTPUT_FOLDERS[name]);
  const piece = requireGeneratedPiece(dataDir, midi);
  if (!existsSync(piece))
    throw new ApiError(`The generated piece ${path.basename(midi)} is already gone.`, {
      path: midi,
      field: 'path',
    });
  const kept = await takesOf(dataDir, piece);
  // Only files the app wrote into its own output folders go; a link that points elsewhere is dropped, not followed.
  const candidates: Array<[string | undefined, string[]]> = [
    [piece, [folder('generated')]],
    [kept.render, [folder('renders')]],
    [kept.refined?.midi, [folder('refined')]],
    // The refinement's own master, or a render of the refined MIDI.
    [kept.refined?.wav, [folder('refined'), folder('renders')]],
  ];
  const files: Array<[string, string]> = [];
  for (const [file, tops] of candidates) {
    const top = file ? tops.find((t) => inside(path.resolve(file), t)) : undefined;
    if (file && top) files.push([path.resolve(file), top]);
  }
  for (const [file, top] of files) {
    await removeWithSidecars(file);
    await pruneEmpty(file, top);
  }
  await forgetTake(dataDir, piece);
  return files.map(([file]) => file);
}

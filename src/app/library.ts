/**
 * The model library and training runs as the UI sees them: listing runs with their loss history,
 * listing, importing, exporting, deleting models and choosing the default. Every folder copy is
 * made beside its target and renamed into place, so no half-copied model ever appears.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError, ModelError } from '../core/common/errors';
import { readJson, writeJsonAtomic } from '../core/node/fs/atomic';
import { readLstmConfig, type LstmModelConfig } from '../core/node/models/lstm/config';
import { isComposerFolder, readComposerConfig, type ComposerModelConfig } from '../core/node/models/composer/config';

/** A composing model's config: the composer, or the windowed BiLSTM. */
type GeneratorConfig = LstmModelConfig | ComposerModelConfig;

/** The composer or the windowed BiLSTM config in `dir`; throws `ModelError` naming the file. */
async function readGeneratorConfig(dir: string): Promise<GeneratorConfig> {
  return (await isComposerFolder(dir)) ? readComposerConfig(dir) : readLstmConfig(dir);
}
import { readTrainingLog, type TrainingLogEntry } from '../core/node/train/log';
import { isComposerPresetName } from '../core/common/models/composer';
import { bundledModelDir, BUNDLED_MODEL_ID, dataLayout, type RunRecord } from './layout';

/** A model entry (the api's `ModelInfo`). */
export interface ModelEntry {
  id: string;
  name: string;
  kind: 'lstm' | 'transformer';
  tokenizer?: string;
  vocabSize?: number;
  createdAt?: string;
  isDefault: boolean;
  bundled: boolean;
  validationLoss?: number;
}

/** A training run entry (the api's `TrainRun`). */
export interface RunEntry {
  id: string;
  /** The name typed when it was started. */
  name?: string;
  preset: string;
  state: 'running' | 'finished' | 'stopped' | 'failed';
  epochsDone: number;
  epochsPlanned: number;
  /** Optimizer steps taken so far. */
  steps?: number;
  /** Steps the whole run plans, when known. */
  stepsPlanned?: number;
  /** The latest training loss (the epoch so far, for a run cancelled inside one). */
  loss?: number;
  history: Array<{ epoch: number; loss: number; validationLoss?: number }>;
  modelId?: string;
  createdAt?: string;
  backend?: string;
}

async function runRecord(dir: string): Promise<Partial<RunRecord>> {
  return existsSync(path.join(dir, 'run.json')) ? readJson<Partial<RunRecord>>(path.join(dir, 'run.json')).catch(() => ({})) : {};
}

async function configOrNull(dir: string): Promise<GeneratorConfig | null> {
  return existsSync(path.join(dir, 'config.json')) ? readGeneratorConfig(dir).catch(() => null) : null;
}

/** The parts of a Music Transformer's config.json the library shows. */
interface TransformerConfigView {
  format: 'cadenza-transformer';
  architecture: { vocabSize: number };
  tokenizer: { kind: string };
  metrics?: { validNll?: number };
}

async function transformerConfigOrNull(dir: string): Promise<TransformerConfigView | null> {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) return null;
  const config = await readJson<TransformerConfigView>(file).catch(() => null);
  return config?.format === 'cadenza-transformer' ? config : null;
}

/** The folder of a Music Transformer in the library; throws `ModelError` when `id` names none. */
export async function transformerModelDir(dataDir: string, id: string): Promise<string> {
  const dir = dataLayout(dataDir).model(id);
  if (!(await transformerConfigOrNull(dir))) throw new ModelError(`There is no Music Transformer with id ${id} in the library.`, { field: 'modelId' });
  return dir;
}

async function modelDirs(dataDir: string): Promise<string[]> {
  const root = dataLayout(dataDir).models;
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
}

/** The id `generate` uses when none is named, if one was chosen. */
export async function defaultModelId(dataDir: string): Promise<string | undefined> {
  const file = dataLayout(dataDir).defaultModelFile;
  return existsSync(file) ? (await readJson<{ id?: string }>(file).catch(() => ({}) as { id?: string })).id : undefined;
}

/** Every training run, newest first; `activeRunIds` are the runs a job is training right now. */
export async function listRuns(dataDir: string, activeRunIds: ReadonlySet<string>): Promise<RunEntry[]> {
  const layout = dataLayout(dataDir);
  const runs: RunEntry[] = [];
  for (const id of await modelDirs(dataDir)) {
    const dir = layout.model(id);
    const log = await readTrainingLog(path.join(dir, 'training-log.jsonl')).catch(() => []);
    const record = await runRecord(dir);
    // An imported model has no log, and a run.json only when it was renamed (a name, no preset): not a run.
    if (log.length === 0 && record.preset === undefined) continue;
    const config = await configOrNull(dir);
    const epochs = log.filter((e) => e.type === 'epoch');
    const lastStop = [...log].reverse().find((e) => e.type === 'stop');
    const state: RunEntry['state'] = activeRunIds.has(id)
      ? 'running'
      : lastStop?.reason === 'cancelled' && existsSync(path.join(dir, 'checkpoint'))
        ? 'stopped'
        : config
          ? 'finished'
          : existsSync(path.join(dir, 'checkpoint'))
            ? 'stopped'
            : 'failed';
    const epochsPlanned = record.epochsPlanned ?? (config && 'epochs' in config.training ? config.training.epochs : undefined) ?? epochs.length;
    const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    // Steps: the latest entry that counts them (a composer's validations, a stop, the end).
    const steps = [...log].reverse().map((e) => num(e.step)).find((s) => s !== undefined);
    const starts = log.filter((e) => e.type === 'start');
    const stepsPerEpoch = num(starts[starts.length - 1]?.stepsPerEpoch);
    const composerSteps = isComposerPresetName(record.preset ?? '') ? num(record.maxStepsPerEpoch) : undefined;
    const stepsPlanned = composerSteps ?? (stepsPerEpoch !== undefined ? stepsPerEpoch * epochsPlanned : undefined);
    const lastEpoch = epochs[epochs.length - 1];
    // A cancel mid-epoch logs the epoch's loss so far, newer than the last whole epoch's.
    const stopAt = log.findLastIndex((e: TrainingLogEntry) => e.type === 'stop');
    const epochAt = log.findLastIndex((e: TrainingLogEntry) => e.type === 'epoch');
    const loss = lastStop && stopAt > epochAt ? num(lastStop.loss) : undefined;
    runs.push({
      id,
      ...(record.name ? { name: record.name } : {}),
      preset: record.preset ?? config?.training.preset ?? 'custom',
      state,
      epochsDone: epochs.length,
      epochsPlanned,
      ...(steps !== undefined ? { steps } : {}),
      ...(stepsPlanned !== undefined ? { stepsPlanned } : {}),
      ...((loss ?? num(lastEpoch?.trainLoss)) !== undefined ? { loss: (loss ?? num(lastEpoch?.trainLoss))! } : {}),
      history: epochs.map((e, i) => ({
        // A composer logs validations by step, not by epoch.
        epoch: num(e.epoch) ?? i + 1,
        loss: num(e.trainLoss) ?? NaN,
        ...(typeof e.validNll === 'number' ? { validationLoss: e.validNll } : {}),
      })).filter((h) => Number.isFinite(h.loss)),
      ...(config ? { modelId: id } : {}),
      ...(record.createdAt ? { createdAt: record.createdAt } : {}),
      ...((record.backend ?? backendOf(config)) ? { backend: record.backend ?? backendOf(config)! } : {}),
    });
  }
  return runs.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.id.localeCompare(a.id));
}

function backendOf(config: GeneratorConfig | null): string | undefined {
  if (!config) return undefined;
  return 'backend' in config.training ? config.training.backend : config.training.kernels;
}

function entryOf(id: string, config: GeneratorConfig, record: Partial<RunRecord>, isDefault: boolean, bundled: boolean): ModelEntry {
  return {
    id,
    name: record.name ?? (bundled ? 'Bundled model' : id),
    kind: 'lstm',
    tokenizer: config.tokenizer.kind,
    vocabSize: config.architecture.vocabSize,
    ...(config.createdAt ? { createdAt: config.createdAt } : {}),
    isDefault,
    bundled,
    ...(Number.isFinite(config.metrics?.validNll) ? { validationLoss: config.metrics.validNll } : {}),
  };
}

/** Every usable model: finished runs, imported models, and the bundled one when this build has it. */
export async function listModels(dataDir: string): Promise<ModelEntry[]> {
  const layout = dataLayout(dataDir);
  const chosen = await defaultModelId(dataDir);
  const models: ModelEntry[] = [];
  for (const id of await modelDirs(dataDir)) {
    const config = await configOrNull(layout.model(id));
    if (config) {
      models.push(entryOf(id, config, await runRecord(layout.model(id)), id === chosen, false));
      continue;
    }
    const transformer = await transformerConfigOrNull(layout.model(id));
    if (transformer)
      models.push({
        id,
        name: (await runRecord(layout.model(id))).name ?? id,
        kind: 'transformer',
        tokenizer: transformer.tokenizer.kind,
        vocabSize: transformer.architecture.vocabSize,
        createdAt: (await fs.stat(path.join(layout.model(id), 'config.json'))).mtime.toISOString(),
        isDefault: false,
        bundled: false,
        ...(Number.isFinite(transformer.metrics?.validNll) ? { validationLoss: transformer.metrics!.validNll } : {}),
      });
  }
  models.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  const bundled = await configOrNull(bundledModelDir());
  if (bundled) models.push(entryOf(BUNDLED_MODEL_ID, bundled, { name: 'Bundled model' }, chosen === BUNDLED_MODEL_ID, true));
  // With no explicit choice, generate takes the newest LSTM: show that one as the default.
  const firstLstm = models.find((m) => m.kind === 'lstm');
  if (!chosen && firstLstm) firstLstm.isDefault = true;
  return models;
}

async function requireModel(dataDir: string, id: string): Promise<ModelEntry> {
  const found = (await listModels(dataDir)).find((m) => m.id === id);
  if (!found) throw new ModelError(`There is no model with id ${id}.`, { field: 'id' });
  return found;
}

async function copyModelFolder(from: string, to: string): Promise<void> {
  const tmp = path.join(path.dirname(to), `.${path.basename(to)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // Checkpoints are for resuming training where it ran, not part of the model.
    await fs.cp(from, tmp, { recursive: true, filter: (src) => path.basename(src) !== 'checkpoint' });
    await fs.rename(tmp, to);
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** Copies a model folder (checked to be a Cadenza LSTM or Music Transformer) into the library under a new id. */
export async function importModel(dataDir: string, folder: string): Promise<ModelEntry> {
  if (await transformerConfigOrNull(folder)) {
    // Loading checks the weights against the architecture, so a broken folder is refused here.
    const { loadTransformer } = await import('../core/node/models/transformer/load');
    await loadTransformer(folder);
  } else await readGeneratorConfig(folder);
  const base = path.basename(folder).replace(/[^\w.-]/g, '_').replace(/^[._-]+/, '') || 'model';
  const id = `imported-${base.slice(0, 60)}-${randomBytes(3).toString('hex')}`;
  const target = dataLayout(dataDir).model(id);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await copyModelFolder(folder, target);
  return requireModel(dataDir, id);
}

/** Copies model `id` to `target` (a folder that must not exist yet); answers the folder written. */
export async function exportModel(dataDir: string, id: string, target: string): Promise<string> {
  const model = await requireModel(dataDir, id);
  if (existsSync(target)) throw new ApiError(`${target} already exists; choose a new folder name.`, { path: target, field: 'path' });
  await copyModelFolder(model.bundled ? bundledModelDir() : dataLayout(dataDir).model(id), target);
  return target;
}

/** Deletes a trained or imported model (never the bundled one); `busy` says whether a job uses it now. */
export async function removeModel(dataDir: string, id: string, busy: boolean): Promise<void> {
  if (id === BUNDLED_MODEL_ID) throw new ModelError('The bundled model cannot be deleted.', { field: 'id' });
  const dir = dataLayout(dataDir).model(id);
  if (!existsSync(dir)) throw new ModelError(`There is no model with id ${id}.`, { field: 'id' });
  if (busy) throw new ModelError(`The model ${id} is being trained; cancel the training first.`, { field: 'id' });
  if ((await defaultModelId(dataDir)) === id) await fs.rm(dataLayout(dataDir).defaultModelFile, { force: true });
  // Renamed away first, so a reader never sees a half-deleted model.
  const doomed = path.join(path.dirname(dir), `.${id}.${randomBytes(4).toString('hex')}.deleted`);
  await fs.rename(dir, doomed);
  await fs.rm(doomed, { recursive: true, force: true });
}

/** Gives a trained or imported model the name the user chose (kept in its run.json beside the model). */
export async function renameModel(dataDir: string, id: string, name: string): Promise<ModelEntry> {
  if (id === BUNDLED_MODEL_ID) throw new ModelError('The bundled model cannot be renamed.', { field: 'id' });
  const trimmed = name.trim();
  if (!trimmed) throw new ModelError('A model’s name cannot be empty.', { field: 'name' });
  await requireModel(dataDir, id);
  const dir = dataLayout(dataDir).model(id);
  await writeJsonAtomic(path.join(dir, 'run.json'), { ...(await runRecord(dir)), name: trimmed });
  return requireModel(dataDir, id);
}

/** Makes model `id` the one `generate` uses when none is named. */
export async function setDefaultModel(dataDir: string, id: string): Promise<ModelEntry> {
  if ((await requireModel(dataDir, id)).kind !== 'lstm')
    throw new ModelError(`The model ${id} is a Music Transformer, which refines pieces; only an LSTM can be the default for generation.`, { field: 'id' });
  await writeJsonAtomic(dataLayout(dataDir).defaultModelFile, { id });
  return requireModel(dataDir, id);
}

/** The newest preprocessed data set's figures, or null when there is none. */
export async function datasetInfo(dataDir: string): Promise<{ tokenizer: string; pieces: number; trainTokens: number; validationTokens: number; vocabSize: number } | null> {
  interface Manifest {
    kind: string;
    createdAt: string;
    counts: { pieces: number; trainTokens: number; validTokens: number; vocabSize: number };
  }
  const root = dataLayout(dataDir).dataset;
  let best: Manifest | null = null;
  for (const kind of ['remi', 'notes', 'performance']) {
    const file = path.join(root, kind, 'manifest.json');
    if (!existsSync(file)) continue;
    const manifest: Manifest | null = await readJson<Manifest>(file).catch(() => null);
    if (manifest && (best === null || manifest.createdAt > best.createdAt)) best = manifest;
  }
  if (!best) return null;
  const c = best.counts;
  return { tokenizer: best.kind, pieces: c.pieces, trainTokens: c.trainTokens, validationTokens: c.validTokens, vocabSize: c.vocabSize };
}

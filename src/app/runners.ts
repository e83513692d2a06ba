/**
 * The job runners: what each kind of job does inside its worker thread, calling the core stage
 * with the job's progress sink and cancel signal. Outputs are built in the job's staging folder
 * and moved into the data folder with one rename when complete, so a cancelled or failed job
 * leaves nothing half-made. Core modules are imported inside each runner, so a corpus import
 * never loads TensorFlow.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { CorpusError, DataError, serializeError, throwIfCancelled } from '../core/common/errors';
import { LSTM_PRESETS } from '../core/common/models/lstm';
import type { ComposerPresetName } from '../core/common/models/composer';
import { composerPreset, isComposerPresetName } from '../core/common/models/composer';
import { writeJsonAtomic } from '../core/node/fs/atomic';
import type { JobContext, JobRunner } from '../core/node/jobs/types';
import type { jobParamSchemas, JobParams, JobResult } from '../api/contract';
import { fileInfo, listFiles, OUTPUT_FOLDERS, type FileInfo } from './files';
import { dataLayout, type RunRecord } from './layout';
import { resolveModelDir } from './resolveModel';
import { requirePreparedData, writeCorpusIds } from './prepared';
import { inUserWords } from './userPaths';
import { recordRefinement, recordRenders } from './takes';
import type { AppSettings } from './settings';

function settingsOf(ctx: JobContext): AppSettings {
  return ctx.env.settings as AppSettings;
}

/** Moves a finished staging folder into place (one rename; the target must not exist yet). */
async function publish(from: string, to: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.rename(from, to);
}

/** What the runner of job kind K is given (the validated request, as the handler passed it on) and answers. */
type AppRunner<K extends JobKind> = (params: JobParams<K>, ctx: JobContext) => Promise<JobResult<K>>;
type JobKind = keyof typeof jobParamSchemas;

async function runTraining(params: JobParams<'train'>, ctx: JobContext): Promise<JobResult<'train'>> {
  const layout = dataLayout(ctx.dataDir);
  const resume = params.resumeRunId !== undefined;
  const runId = params.resumeRunId ?? params.runId;
  if (runId === undefined) throw new DataError('A training job needs a run id or a run to resume.', { field: 'runId' });
  const modelDir = layout.model(runId);
  const runFile = path.join(modelDir, 'run.json');
  let record: RunRecord;
  if (resume) {
    if (!existsSync(path.join(modelDir, 'checkpoint')))
      throw new DataError(`The training run ${runId} has no checkpoint to resume from.`, { path: modelDir, field: 'runId' });
    record = JSON.parse(await fs.readFile(runFile, 'utf8')) as RunRecord;
    if (params.epochs !== undefined) record = { ...record, epochsPlanned: params.epochs };
  } else {
    const composer = isComposerPresetName(params.preset);
    const preset = composer ? LSTM_PRESETS.small : LSTM_PRESETS[params.preset as keyof typeof LSTM_PRESETS];
    const epochs = composer ? 1 : (params.epochs ?? preset.training.epochs);
    record = {
      id: runId,
      name: params.name ?? `${params.preset} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
      preset: params.preset,
      epochsPlanned: epochs,
      createdAt: new Date().toISOString(),
      // maxSteps caps the whole run: spread over the epochs as a per-epoch cap.
      maxStepsPerEpoch: composer
        ? (params.maxSteps ?? composerPreset(params.preset as ComposerPresetName).training.steps)
        : params.maxSteps
          ? Math.max(1, Math.ceil(params.maxSteps / epochs))
          : preset.training.maxStepsPerEpoch,
      seed: params.seed ?? preset.training.seed,
    };
  }
  if (isComposerPresetName(record.preset) && params.maxSteps !== undefined) record = { ...record, maxStepsPerEpoch: params.maxSteps };
  if (isComposerPresetName(record.preset)) return runComposerTraining(record, resume, modelDir, ctx);
  const preset = LSTM_PRESETS[record.preset as keyof typeof LSTM_PRESETS];
  if (!preset) throw new DataError(`The training run ${runId} used the preset "${record.preset}", which this build does not have.`, { path: runFile });
  const training = { ...preset.training, epochs: record.epochsPlanned, maxStepsPerEpoch: record.maxStepsPerEpoch, seed: record.seed };
  ctx.onProgress({ stage: 'load data', done: 0 });
  const { loadTokenDataset } = await import('../core/node/preprocess/dataset');
  requirePreparedData(ctx.dataDir, record.preset);
  const data = await loadTokenDataset(layout.dataset, 'notes');
  throwIfCancelled(ctx.signal);
  // Chosen here (trainLstm asks again and gets the same) so the UI learns the backend before the first step.
  const { selectKernels } = await import('../core/node/tensor/kernels');
  const blasLibrary = settingsOf(ctx).blasLibrary ?? undefined;
  const asked = settingsOf(ctx).backend;
  // webgpu trains the whole step on the GPU (asked for, or `auto` on a real GPU; trainLstm finds
  // the adapter and says which); otherwise the CPU kernels selectKernels picks.
  const { autoWebGpu } = await import('../core/node/tensor/webgpu');
  const onGpu = asked === 'webgpu' || (asked === 'auto' && 'adapter' in (await autoWebGpu()));
  const provider = onGpu ? 'webgpu' : (await selectKernels(asked, blasLibrary ? { blasLibrary } : {})).provider;
  const { elementwise } = await import('../core/node/tensor/elementwise');
  record = { ...record, backend: provider, elementwise: elementwise().kind };
  await writeJsonAtomic(runFile, record);
  ctx.onProgress({ stage: 'load data', done: 1, total: 1, message: `backend ${provider}` });
  const { trainLstm } = await import('../core/node/train/trainLstm');
  try {
    const result = await trainLstm(data, {
      modelDir,
      architecture: preset.architecture,
      training,
      preset: record.preset,
      resume,
      backend: settingsOf(ctx).backend,
      ...(blasLibrary ? { blasLibrary } : {}),
      dataPath: data.dir,
      onProgress: ctx.onProgress,
      signal: ctx.signal,
    });
    const m = result.config.metrics;
    return { runId, modelId: runId, epochsDone: m.epochs, loss: m.trainLoss, validationLoss: m.validNll };
  } catch (error) {
    // A run that never reached a checkpoint holds nothing worth keeping; one that did stays resumable.
    if (!resume && !existsSync(path.join(modelDir, 'checkpoint')) && !existsSync(path.join(modelDir, 'config.json')))
      await fs.rm(modelDir, { recursive: true, force: true });
    throw error;
  }
}

/** Each runner as written; `runners` is what jobs call. */
const plainRunners: { [K in JobKind]: AppRunner<K> } = {
  import: async (params, ctx) => {
    const { CorpusStore } = await import('../core/node/corpus/store');
    const store = await CorpusStore.open(ctx.dataDir);
    // Files uploaded on their own land directly in uploads/, a name that says nothing about them.
    const report = await store.import(
      params.paths,
      { onProgress: ctx.onProgress, signal: ctx.signal },
      { anonymousFolders: [path.join(ctx.dataDir, OUTPUT_FOLDERS.uploads)] },
    );
    return {
      imported: report.added.length,
      duplicates: report.duplicates.length,
      failed: report.skipped.map((s) => ({ path: s.path, error: s.error })),
    };
  },

  rescan: async (_params, ctx) => {
    const { CorpusStore } = await import('../core/node/corpus/store');
    const store = await CorpusStore.open(ctx.dataDir);
    const report = await store.rescan({ onProgress: ctx.onProgress, signal: ctx.signal });
    return {
      pieces: report.checked - report.missing.length - report.damaged.length,
      failed: [
        // A stored file gone or damaged is the corpus's own trouble: a corpus error.
        ...report.missing.map((p) => ({ path: p.sourcePath, error: serializeError(new CorpusError(`The stored file of "${p.title}" is gone; its entry was dropped.`, { path: p.sourcePath })) })),
        ...report.damaged.map((d) => ({ path: d.piece.sourcePath, error: serializeError(new CorpusError(d.reason, { path: d.piece.sourcePath })) })),
      ],
    };
  },

  preprocess: async (p, ctx) => {
    const layout = dataLayout(ctx.dataDir);
    const { CorpusStore } = await import('../core/node/corpus/store');
    const store = await CorpusStore.open(ctx.dataDir);
    const wanted = p.pieceIds ? new Set(p.pieceIds) : null;
    const pieces = (await store.list()).filter((piece) => !wanted || wanted.has(piece.id));
    if (pieces.length === 0) throw new DataError('The corpus has no pieces to preprocess; import some MIDI files first.', { field: 'pieceIds' });
    // The stored files themselves, with the corpus's credits: the dataset's ids are corpus ids and its
    // paths the corpus's blobs, which outlive the job.
    const { corpusPieceRef } = await import('../core/node/sources/resolve');
    const refs = pieces.map((piece) => corpusPieceRef(store, piece));
    const { preprocess } = await import('../core/node/preprocess/preprocess');
    const output = path.join(ctx.stagingDir, 'dataset');
    const result = await preprocess(
      // remi data serves the composer presets; the notes data beside it serves the windowed ones.
      { pieces: refs, inputPath: path.join(ctx.dataDir, 'corpus'), outputPath: output, kinds: p.tokenizer === 'remi' ? ['remi', 'notes'] : [p.tokenizer as 'notes' | 'performance'], validFraction: p.validationFraction, seed: p.seed },
      { onProgress: ctx.onProgress, signal: ctx.signal },
    );
    throwIfCancelled(ctx.signal);
    const kind = result.results[0]!;
    for (const made of result.results) {
      // Which pieces it was made from, so Train can tell when the corpus has moved on.
      await writeCorpusIds(made.dir, pieces.map((piece) => piece.id));
      // Swap each new folder in: the old one moves aside first, so a reader sees the old or the new, whole.
      const target = path.join(layout.dataset, made.kind);
      const old = path.join(ctx.stagingDir, `old-${made.kind}`);
      if (existsSync(target)) await fs.rename(target, old);
      await publish(made.dir, target);
    }
    const c = kind.manifest.counts;
    return { tokenizer: kind.kind, pieces: c.pieces, trainTokens: c.trainTokens, validationTokens: c.validTokens, vocabSize: c.vocabSize };
  },

  train: runTraining,

  generate: async (p, ctx) => {
    const modelPath = await resolveModelDir(ctx.dataDir, p.modelId);
    const { generatePieces } = await import('../core/node/generate/generate');
    const out = path.join(ctx.stagingDir, 'out');
    await generatePieces(
      {
        modelPath,
        outputPath: out,
        count: p.count,
        ...(p.lengthSeconds !== undefined ? { seconds: p.lengthSeconds } : { events: p.lengthTokens }),
        temperature: p.temperature,
        topK: p.topK,
        ...(p.topP !== undefined ? { topP: p.topP } : {}),
        ...(p.maxRepeat !== undefined ? { maxRepeat: p.maxRepeat } : {}),
        ...(p.memory !== undefined ? { memory: p.memory } : {}),
        tempoBpm: p.bpm,
        dataDir: ctx.dataDir,
        ...(p.seed !== undefined ? { seed: p.seed } : {}),
        ...(p.primerPieceId ? { primer: `corpus:${p.primerPieceId}` } : p.primerPath ? { primer: p.primerPath } : {}),
      },
      { onProgress: ctx.onProgress, signal: ctx.signal },
    );
    throwIfCancelled(ctx.signal);
    const target = dataLayout(ctx.dataDir).generated(ctx.jobId);
    await publish(path.join(out, 'generated_midi'), target);
    return { files: (await listFiles(target)).filter((f) => f.kind === 'midi').sort((a, b) => a.name.localeCompare(b.name)) };
  },

  synthesize: async (p, ctx) => {
    const settings = settingsOf(ctx);
    const { synthesizeFiles } = await import('../core/node/render/batch');
    const out = path.join(ctx.stagingDir, 'renders');
    const report = await synthesizeFiles(
      p.paths,
      out,
      {
        engine: p.engine ?? settings.engine,
        sampleRateHz: p.sampleRateHz ?? settings.sampleRateHz,
        ...((p.soundFont ?? settings.soundFont) ? { soundfontPath: p.soundFont ?? settings.soundFont! } : {}),
      },
      { onProgress: ctx.onProgress, signal: ctx.signal },
    );
    throwIfCancelled(ctx.signal);
    if (report.results.length === 0) {
      const first = report.failures[0];
      throw new DataError(first ? first.error.message : 'Nothing was rendered.', { path: first?.midiPath });
    }
    const target = dataLayout(ctx.dataDir).renders(ctx.jobId);
    await publish(out, target);
    const files: FileInfo[] = [];
    for (const r of report.results) files.push(await fileInfo(path.join(target, path.relative(out, r.wavPath))));
    // Linked to their pieces, so a reload shows each piece's waveform again.
    await recordRenders(ctx.dataDir, report.results.map((r, i) => ({ midi: r.midiPath, wav: files[i]!.path })));
    return { files };
  },

  refine: async (p, ctx) => {
    const settings = settingsOf(ctx);
    const { refinePieces } = await import('../core/node/refine/refine');
    const out = path.join(ctx.stagingDir, 'refined');
    const isAudio = /\.wav$/i.test(p.path);
    const report = await refinePieces({
      ...(isAudio ? { audioPaths: [p.path] } : { midiPaths: [p.path] }),
      outputPath: out,
      ...(p.modelPath ? { modelPath: p.modelPath } : {}),
      temperature: p.temperature,
      ...(p.seed !== undefined ? { seed: p.seed } : {}),
      ...(p.expression !== undefined ? { expression: p.expression } : {}),
      engine: settings.engine,
      sampleRateHz: settings.sampleRateHz,
      ...(settings.soundFont ? { soundfontPath: settings.soundFont } : {}),
      onProgress: ctx.onProgress,
      signal: ctx.signal,
    });
    throwIfCancelled(ctx.signal);
    if (report.pieces.length === 0) {
      const first = report.failures[0];
      throw new DataError(first ? first.error.message : 'Nothing was refined.', { path: first?.input ?? p.path });
    }
    const target = dataLayout(ctx.dataDir).refined(ctx.jobId);
    await publish(out, target);
    const files: FileInfo[] = [];
    const published = (f: string): string => path.join(target, path.relative(out, f));
    for (const piece of report.pieces) {
      for (const f of [piece.refinedAudio, piece.refinedMidi]) files.push(await fileInfo(published(f)));
      await recordRefinement(ctx.dataDir, piece.sourceMidi, { midi: published(piece.refinedMidi), wav: published(piece.refinedAudio) });
    }
    return { files };
  },

  evaluate: async (p, ctx) => {
    const layout = dataLayout(ctx.dataDir);
    const { runEvaluation, writeEvaluationReport } = await import('../core/node/evaluate/evaluate');
    const report = await runEvaluation(
      { reference: ctx.dataDir, ...(p.paths.length ? { generated: p.paths } : {}), ...(p.refinedPaths.length ? { refined: p.refinedPaths } : {}) },
      { onProgress: ctx.onProgress, signal: ctx.signal },
    );
    throwIfCancelled(ctx.signal);
    const out = path.join(ctx.stagingDir, 'report');
    await writeEvaluationReport(out, report);
    const target = layout.evaluations(ctx.jobId);
    await publish(out, target);
    // The figures of the generated set, else (refined takes only) the refined set's.
    const generated = report.sets.find((s) => s.role === 'generated') ?? report.sets.find((s) => s.role === 'refined');
    const summary: Record<string, number> = { pieces: report.sets.filter((s) => s.role !== 'reference').reduce((n, s) => n + s.pieces.length, 0) };
    const put = (key: string, value: number | undefined): void => {
      // Infinite divergences (disjoint distributions) and NaN cannot cross JSON; leave them to report.json.
      if (value !== undefined && Number.isFinite(value)) summary[key] = value;
    };
    for (const c of generated?.comparison ?? []) {
      put(`overlap.${c.id}`, c.overlapArea);
      put(`kl.${c.id}`, c.klDivergence);
    }
    put('copiedEvents.mean', generated?.copiedSummary?.mean);
    return { report: await fileInfo(path.join(target, 'report.json')), summary };
  },
};

/**
 * Trains a composer preset: remi data, `maxStepsPerEpoch` of the run record holds its step count
 * (a composer has no epochs). Validation losses arrive as progress metrics like the windowed runs'.
 */
async function runComposerTraining(record: RunRecord, resume: boolean, modelDir: string, ctx: JobContext): Promise<JobResult<'train'>> {
  const layout = dataLayout(ctx.dataDir);
  const preset = composerPreset(record.preset as ComposerPresetName);
  ctx.onProgress({ stage: 'load data', done: 0 });
  const { loadTokenDataset } = await import('../core/node/preprocess/dataset');
  requirePreparedData(ctx.dataDir, record.preset);
  const data = await loadTokenDataset(layout.dataset, 'remi').catch((error: unknown) => {
    throw new DataError('The composer trains on remi tokens, and the prepared data has none: press Prepare data again.', { field: 'preset', cause: error });
  });
  throwIfCancelled(ctx.signal);
  const { blas } = await import('../core/node/tensor/blas');
  const { elementwise } = await import('../core/node/tensor/elementwise');
  record = { ...record, backend: blas().kind, elementwise: elementwise().kind };
  await fs.mkdir(modelDir, { recursive: true });
  await writeJsonAtomic(path.join(modelDir, 'run.json'), record);
  ctx.onProgress({
    stage: 'load data',
    done: 1,
    total: 1,
    message:
      settingsOf(ctx).backend === 'webgpu'
        ? `backend ${blas().kind}: the composer trains on the CPU (its engine has no GPU path yet; the windowed presets train on the GPU)`
        : `backend ${blas().kind}`,
  });
  const { trainComposer } = await import('../core/node/train/trainComposer');
  try {
    const result = await trainComposer(
      data,
      {
        modelDir,
        architecture: preset.architecture,
        training: { ...preset.training, steps: record.maxStepsPerEpoch || preset.training.steps, seed: record.seed ?? preset.training.seed },
        preset: record.preset,
        resume,
        onProgress: (e) =>
          ctx.onProgress({
            ...e,
            ...(e.metrics && 'validNll' in e.metrics ? { metrics: { validationLoss: e.metrics.validNll as number, loss: e.metrics.trainLoss as number } } : {}),
          }),
        signal: ctx.signal,
      },
    );
    // A composer has no epochs and keeps no training loss in its config: the run reports its held-out loss for both.
    const m = result.config.metrics;
    return { runId: record.id, modelId: record.id, epochsDone: 1, loss: m.validNll, validationLoss: m.validNll };
  } catch (error) {
    if (!resume && !existsSync(path.join(modelDir, 'checkpoint')) && !existsSync(path.join(modelDir, 'config.json')))
      await fs.rm(modelDir, { recursive: true, force: true });
    throw error;
  }
}

/** Result fields written for reading, whose paths are put in the user's terms (the rest are real files the page opens). */
const READ_FIELDS: Record<string, string[]> = { import: ['failed'], rescan: ['failed'] };

/**
 * Runner per job kind. Their progress lines, errors and skipped-file reasons name uploads as the user dropped
 * them and never a staging path.
 */
export const runners: Record<string, JobRunner> = Object.fromEntries(
  // The one place params lose their type: the job manager hands every runner its kind's validated request.
  Object.entries(plainRunners).map(([kind, runner]) => [kind, inUserWords(runner as JobRunner, READ_FIELDS[kind])]),
);

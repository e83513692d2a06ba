/**
 * `cadenza train-lstm`: trains a bidirectional LSTM on tokens written by `cadenza preprocess`:
 * by default the composer (`remi` tokens, piece-long context), or with a windowed preset
 * (`tiny`, `small`, `default`, `seed`: the original design) the notes-and-chords BiLSTM.
 * Ctrl-C saves a checkpoint and exits; `--resume` continues it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/common/errors';
import type { LstmArchitecture, LstmTrainSettings } from '../../core/common/models/lstm';
import { LSTM_PRESETS } from '../../core/common/models/lstm';
import type { ComposerTrainSettings } from '../../core/common/models/composer';
import type { ComposerPresetName } from '../../core/common/models/composer';
import { COMPOSER_PRESET_NAMES, composerPreset, isComposerPresetName } from '../../core/common/models/composer';

const ALL_PRESETS = [...Object.keys(COMPOSER_PRESET_NAMES), ...Object.keys(LSTM_PRESETS)];
import type { KernelRequest } from '../../core/node/tensor/kernels';
import { printResult, type GlobalOptions } from '../output';
import { choiceOption, numberOption } from '../options';

/** Threads a training may use, as core's training checks them. */
const THREADS_RANGE = { min: 1, max: 64, integer: true };
import { runStage } from '../runStage';
import { clearTrainingOutputs, noteModelIsFolder, requireFolderTarget } from '../paths';

interface Flags extends GlobalOptions {
  data_path: string;
  model_path: string;
  preset: string;
  backend: string;
  blasLibrary?: string;
  blasThreads?: string;
  resume?: boolean;
  force?: boolean;
  baseline?: boolean;
  seedDesign?: boolean;
  float16?: boolean;
  credits?: string;
  timeLimit?: string;
  threads?: string;
  epochs?: string;
  batchSize?: string;
  learningRate?: string;
  optimizer?: string;
  schedule?: string;
  window?: string;
  embedding?: string;
  lstmUnits?: string;
  denseUnits?: string;
  dropout?: string;
  stride?: string;
  maxStepsPerEpoch?: string;
  validWindows?: string;
  patience?: string;
  seed?: string;
  steps?: string;
  chunkTokens?: string;
  backwardUnits?: string;
  lookback?: string;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Adds `train-lstm` to the program. */
export function registerTrainLstm(program: Command): void {
  program
    .command('train-lstm')
    .description('Train the bidirectional LSTM (next note/chord event) on tokens from `cadenza preprocess`.')
    .requiredOption(
      '--data_path <dir>',
      'preprocessed data: the output folder of `cadenza preprocess` or its notes/ folder',
    )
    .requiredOption(
      '--model_path <dir>',
      'model folder to write (config.json, weights.bin/json, training-log.jsonl, checkpoint/)',
    )
    .option(
      '--preset <name>',
      `starting sizes and settings: composer (the default: remi tokens, piece-long context), composer-small, composer-tiny; windowed BiLSTM on notes tokens: ${Object.keys(LSTM_PRESETS).join(', ')} (seed = the original tool's design)`,
      'composer',
    )
    .option('--steps <n>', 'composer: optimizer steps to run')
    .option('--chunk-tokens <n>', 'composer: tokens per stream per step (the state carries on past them)')
    .option('--backward-units <n>', 'composer: units of the backward (look-back) LSTM')
    .option('--lookback <n>', 'composer: tokens the backward LSTM reads')
    .option(
      '--backend <name>',
      'kernel provider for the matrix products: auto (a real GPU through WebGPU for the windowed presets, else the fastest present: the system BLAS, else tfjs-node, else wasm), blas, tensorflow-gpu, tensorflow, wasm, cpu; or webgpu (the whole step on the GPU, windowed presets; auto takes it only on a real GPU)',
      'auto',
    )
    .option('--blas-library <file>', 'a BLAS library (cblas_sgemm) to try before the system’s, e.g. libopenblas.dll')
    .option('--blas-threads <n>', 'threads inside each BLAS product when --threads is 1 (results do not depend on it)', '1')
    .option('--resume', 'continue from the model folder’s checkpoint (same data and settings)')
    .option('--force', 'start afresh in a model folder an earlier training used: its checkpoint, weights and log are removed first')
    .option(
      '--baseline',
      'also train the original tool’s design (float index input) for the same time and record its NLL',
    )
    .option('--threads <n>', 'threads computing gradients (data parallel; resume needs the same number)', '1')
    .option(
      '--seed-design',
      'train the original tool’s design itself (float index input, no embedding), as a baseline',
    )
    .option('--float16', 'store the weights as float16 (half the size)')
    .option('--credits <text>', 'credit line for the training data, stored in config.json')
    .option(
      '--time-limit <minutes>',
      'stop training after this many minutes (the epoch in progress is validated)',
    )
    .option('--epochs <n>', 'most passes over the data (early stopping may end sooner)')
    .option('--batch-size <n>', 'windows per step')
    .option('--learning-rate <x>', 'initial learning rate')
    .option('--optimizer <name>', 'adam or adamax')
    .option('--schedule <name>', 'learning-rate schedule: constant or cosine')
    .option('--window <n>', 'tokens the model reads to predict the next')
    .option('--embedding <n>', 'embedding width (0 = one-hot input)')
    .option('--lstm-units <list>', 'units per direction of each BiLSTM layer, e.g. 192,192')
    .option('--dense-units <n>', 'width of the ReLU layer before the softmax')
    .option('--dropout <x>', 'dropout rate 0..0.9')
    .option('--stride <n>', 'tokens between training windows')
    .option(
      '--max-steps-per-epoch <n>',
      'cap on steps per epoch, for regular checkpoints on big corpora (0 = none)',
    )
    .option('--valid-windows <n>', 'validation windows scored per epoch (0 = all)')
    .option('--patience <n>', 'epochs without validation improvement before stopping')
    .option('--seed <n>', 'seed for initialisation, data order and dropout')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'print only the result')
    .addHelpText(
      'after',
      '\nExamples:\n  cadenza train-lstm --data_path processed_data/ --model_path models/lstm/\n  cadenza train-lstm --data_path processed_data/ --model_path models/lstm/ --resume\n',
    )
    .action(async (flags: Flags) => {
      await prepareModelFolder(flags);
      if (isComposerPresetName(flags.preset)) return trainComposerCommand(flags, flags.preset);
      for (const [flag, value] of [['--steps', flags.steps], ['--chunk-tokens', flags.chunkTokens], ['--backward-units', flags.backwardUnits], ['--lookback', flags.lookback]] as const)
        if (value !== undefined) throw new UsageError(`${flag} applies to the composer presets only, not --preset ${flags.preset}.`, { field: flag });
      const preset = choiceOption(
        '--preset',
        flags.preset,
        ALL_PRESETS as (keyof typeof LSTM_PRESETS)[],
      )!;
      const int = (flag: string, v: string | undefined, min: number): number | undefined =>
        numberOption(flag, v, { min, integer: true });
      let lstmUnits: number[] | undefined;
      if (flags.lstmUnits !== undefined) {
        lstmUnits = flags.lstmUnits.split(',').map((u) => int('--lstm-units', u.trim(), 1)!);
        if (lstmUnits.length === 0 || lstmUnits.length > 4)
          throw new UsageError('--lstm-units must list 1 to 4 layer sizes, e.g. 192,192.', {
            field: '--lstm-units',
          });
      }
      const sized: Omit<LstmArchitecture, 'vocabSize'> = {
        ...LSTM_PRESETS[preset].architecture,
        ...defined({
          window: int('--window', flags.window, 1),
          embedding: int('--embedding', flags.embedding, 0),
          lstmUnits,
          denseUnits: int('--dense-units', flags.denseUnits, 1),
          dropout: numberOption('--dropout', flags.dropout, { min: 0, max: 0.9 }),
        }),
      };
      const architecture: Omit<LstmArchitecture, 'vocabSize'> = flags.seedDesign
        ? { ...sized, embedding: 0, floatInput: true }
        : sized;
      const training: LstmTrainSettings = {
        ...LSTM_PRESETS[preset].training,
        ...defined({
          epochs: int('--epochs', flags.epochs, 1),
          batchSize: int('--batch-size', flags.batchSize, 1),
          learningRate: numberOption('--learning-rate', flags.learningRate, { min: 1e-7, max: 1 }),
          optimizer: choiceOption('--optimizer', flags.optimizer, ['adam', 'adamax'] as const),
          schedule: choiceOption('--schedule', flags.schedule, ['constant', 'cosine'] as const),
          stride: int('--stride', flags.stride, 1),
          maxStepsPerEpoch: int('--max-steps-per-epoch', flags.maxStepsPerEpoch, 0),
          validWindows: int('--valid-windows', flags.validWindows, 0),
          patience: int('--patience', flags.patience, 1),
          seed: int('--seed', flags.seed, 0),
        }),
      };
      const threads = numberOption('--threads', flags.threads, THREADS_RANGE)!;
      const timeLimitMinutes = numberOption('--time-limit', flags.timeLimit, { min: 0.01 });
      // Loaded here, not at the top: TF.js takes a second to load and `cadenza --help` should not wait for it.
      const { KERNEL_REQUESTS } = await import('../../core/node/tensor/kernels');
      const backend = choiceOption('--backend', flags.backend, [...KERNEL_REQUESTS, 'webgpu']) as KernelRequest | 'webgpu';
      const blasThreads = numberOption('--blas-threads', flags.blasThreads, THREADS_RANGE)!;
      const kernelOptions = { blasThreads, ...(flags.blasLibrary ? { blasLibrary: flags.blasLibrary } : {}) };
      const { loadTokenDataset } = await import('../../core/node/preprocess/dataset');
      const { trainLstm, addSeedDesignBaseline } = await import('../../core/node/train/trainLstm');
      const data = await loadTokenDataset(flags.data_path, 'notes');
      await claimModelFolder(flags);
      const { result, config } = await runStage(flags, 'the checkpoint was saved; --resume continues it', async (run) => {
        const result = await trainLstm(data, {
          modelDir: flags.model_path,
          architecture,
          training,
          preset,
          backend,
          ...kernelOptions,
          threads,
          ...savedRunOptions(flags, timeLimitMinutes),
          signal: run.signal,
          onProgress: run.onProgress,
        });
        const config = flags.baseline
          ? await addSeedDesignBaseline(data, result, { backend, ...kernelOptions, threads, signal: run.signal, onProgress: run.onProgress })
          : result.config;
        return { result, config };
      });
      const m = config.metrics;
      printResult(flags, { ...result, config }, () =>
        [
          `Trained on ${result.backend.name} (${result.backend.reason}); ${result.backend.elementwise}.`,
          `Held-out NLL ${m.validNll.toFixed(3)} nats/token (accuracy ${((m.validAccuracy ?? 0) * 100).toFixed(1)}%); unigram baseline ${m.unigramNll.toFixed(3)}` +
            (m.seedDesignNll !== undefined ? `; original design (float input) ${m.seedDesignNll.toFixed(3)}.` : '.'),
          `${m.epochs} epochs, ${m.steps} steps in ${(m.trainSeconds / 60).toFixed(1)} min (stopped by ${result.stoppedBy}); best epoch ${m.bestEpoch}; model in ${result.modelDir}`,
        ].join('\n'),
      );
    });
}

/** What both trainings take alike from the flags: resume, time limit, weight type and what config.json records. */
function savedRunOptions(flags: Flags, timeLimitMinutes: number | undefined) {
  return {
    resume: flags.resume,
    ...(timeLimitMinutes !== undefined ? { timeLimitSeconds: timeLimitMinutes * 60 } : {}),
    weightsDtype: flags.float16 ? ('float16' as const) : ('float32' as const),
    dataPath: flags.data_path,
    ...(flags.credits ? { credits: flags.credits } : {}),
  };
}

/**
 * Checks the model folder before any work: not a file, and said once to be a folder when named
 * like a file. An earlier training's folder needs --resume (continue) or --force (start afresh,
 * which removes its checkpoint, weights and log there, so nothing stale is kept): `claimModelFolder`.
 */
async function prepareModelFolder(flags: Flags): Promise<void> {
  const dir = flags.model_path;
  requireFolderTarget('--model_path', dir);
  if (flags.resume && flags.force)
    throw new UsageError('--resume continues the checkpoint and --force removes it: give one of them.', { field: '--force' });
  if (!flags.quiet) noteModelIsFolder('--model_path', dir, (line) => process.stderr.write(line));
}

/** After the data has loaded (so a bad --data_path never costs a model): refuses or clears an earlier training's folder. */
async function claimModelFolder(flags: Flags): Promise<void> {
  const dir = flags.model_path;
  const used = ['checkpoint', 'checkpoint.old', 'config.json', 'training-log.jsonl'].some((name) => existsSync(path.join(dir, name)));
  if (!used || flags.resume) return;
  if (!flags.force)
    throw new UsageError(
      `${dir} holds an earlier training (its checkpoint, weights or log): pass --resume to continue it, or --force to start afresh there (removing them), or name a new --model_path.`,
      { field: '--model_path', path: dir },
    );
  const removed = await clearTrainingOutputs(dir);
  if (!flags.quiet) process.stderr.write(`cadenza: --force: starting afresh in ${dir}; removed the earlier ${removed.join(', ')}.
`);
}

/** `train-lstm` with a composer preset. */
async function trainComposerCommand(flags: Flags, presetName: ComposerPresetName): Promise<void> {
  const int = (flag: string, v: string | undefined, min: number): number | undefined => numberOption(flag, v, { min, integer: true });
  for (const [flag, value] of [
    ['--window', flags.window],
    ['--embedding', flags.embedding],
    ['--dense-units', flags.denseUnits],
    ['--stride', flags.stride],
    ['--epochs', flags.epochs],
    ['--optimizer', flags.optimizer],
    ['--max-steps-per-epoch', flags.maxStepsPerEpoch],
    ['--valid-windows', flags.validWindows],
    ['--patience', flags.patience],
  ] as const)
    if (value !== undefined) throw new UsageError(`${flag} applies to the windowed presets only; the composer (--preset ${presetName}) does not use it.`, { field: flag });
  if (flags.baseline || flags.seedDesign)
    throw new UsageError('--baseline and --seed-design train the windowed design; use them with --preset seed or default.', { field: '--baseline' });
  if (flags.backend !== 'auto' && flags.backend !== 'blas' && flags.backend !== 'js')
    throw new UsageError(`The composer runs on the kernel layer: --backend must be auto, blas or js, not "${flags.backend}".`, { field: '--backend' });
  if (flags.backend === 'js') process.env.CADENZA_KERNELS = 'js';
  if (flags.blasLibrary) process.env.CADENZA_BLAS = flags.blasLibrary;
  const preset = composerPreset(presetName);
  let forwardUnits: number[] | undefined;
  if (flags.lstmUnits !== undefined) {
    forwardUnits = flags.lstmUnits.split(',').map((u) => int('--lstm-units', u.trim(), 1)!);
    if (forwardUnits.length === 0 || forwardUnits.length > 4)
      throw new UsageError('--lstm-units must list 1 to 4 layer sizes, e.g. 512 or 384,384.', { field: '--lstm-units' });
  }
  const architecture = {
    ...preset.architecture,
    ...defined({
      forwardUnits,
      backwardUnits: int('--backward-units', flags.backwardUnits, 1),
      lookback: int('--lookback', flags.lookback, 1),
      dropout: numberOption('--dropout', flags.dropout, { min: 0, max: 0.9 }),
    }),
  };
  const training: ComposerTrainSettings = {
    ...preset.training,
    ...defined({
      steps: int('--steps', flags.steps, 1),
      batchSize: int('--batch-size', flags.batchSize, 1),
      chunkTokens: int('--chunk-tokens', flags.chunkTokens, 2),
      learningRate: numberOption('--learning-rate', flags.learningRate, { min: 1e-7, max: 0.5 }),
      schedule: choiceOption('--schedule', flags.schedule, ['constant', 'cosine'] as const),
      seed: int('--seed', flags.seed, 0),
    }),
  };
  const threads = int('--threads', flags.threads, 1)!;
  const timeLimitMinutes = numberOption('--time-limit', flags.timeLimit, { min: 0.01 });
  const { loadTokenDataset } = await import('../../core/node/preprocess/dataset');
  const { trainComposer } = await import('../../core/node/train/trainComposer');
  const data = await loadTokenDataset(flags.data_path, 'remi');
  await claimModelFolder(flags);
  const result = await runStage(flags, 'the checkpoint was saved; --resume continues it', (run) =>
    trainComposer(data, {
      modelDir: flags.model_path,
      architecture,
      training,
      preset: presetName,
      threads: Math.max(threads, 2),
      ...savedRunOptions(flags, timeLimitMinutes),
      signal: run.signal,
      onProgress: run.onProgress,
    }),
  );
  const m = result.config.metrics;
  printResult(flags, result, () =>
    [
      `Trained on ${result.config.training.kernelReason}; ${result.config.training.elementwiseReason ?? 'TypeScript element-wise kernels'}.`,
      `Held-out NLL ${m.validNll.toFixed(3)} nats/token over whole validation pieces (accuracy ${(m.validAccuracy * 100).toFixed(1)}%); unigram baseline ${m.unigramNll.toFixed(3)}.`,
      `${m.steps} steps in ${(m.trainSeconds / 60).toFixed(1)} min (stopped by ${result.stoppedBy}); best at step ${m.bestStep}; model in ${result.modelDir}`,
      'Compare it with a 5-gram on the same pieces: cadenza evaluate --model <this folder> --reference <the corpus>',
    ].join('\n'),
  );
}

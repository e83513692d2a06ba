/**
 * `cadenza train-transformer`: trains the Music Transformer on performance tokens written by
 * `cadenza preprocess`. Ctrl-C saves a checkpoint and exits; `--resume` continues it.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../core/common/errors';
import { TRANSFORMER_PRESETS } from '../../core/common/models/transformer';
import { printResult, type GlobalOptions } from '../output';
import { choiceOption, numberOption } from '../options';
import { runStage } from '../runStage';

interface Flags extends GlobalOptions {
  data_path: string;
  model_path: string;
  preset: string;
  backend: string;
  blasLibrary?: string;
  blasThreads?: string;
  threads?: string;
  transpose?: string;
  resume?: boolean;
  epochs?: string;
  batchSize?: string;
  learningRate?: string;
  seqLength?: string;
  layers?: string;
  heads?: string;
  dModel?: string;
  dFf?: string;
  dropout?: string;
  maxStepsPerEpoch?: string;
  patience?: string;
  seed?: string;
  timeLimit?: string;
}

/** `--transpose`: a range `a..b` or a comma list of whole semitone shifts from -12 to 12. */
export function parseShifts(text: string): number[] {
  const range = /^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$/.exec(text);
  const shifts = range
    ? Array.from(
        { length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) },
        (_, i) => Number(range[1]) + i,
      )
    : text.split(',').map((t) => (/^\s*-?\d+\s*$/.test(t) ? Number(t) : NaN));
  if (shifts.length === 0 || !shifts.every((t) => Number.isInteger(t) && Math.abs(t) <= 12))
    throw new UsageError(
      `--transpose must be a range like -5..6 or a list like 0,2,-2 of whole numbers from -12 to 12, not "${text}".`,
      {
        field: '--transpose',
      },
    );
  return shifts;
}

/** Adds `train-transformer` to the program. */
export function registerTrainTransformer(program: Command): void {
  program
    .command('train-transformer')
    .description(
      'Train the Music Transformer (relative attention) on performance tokens from `cadenza preprocess`.',
    )
    .requiredOption(
      '--data_path <dir>',
      'preprocessed data: the output folder of `cadenza preprocess` or its performance/ folder',
    )
    .requiredOption(
      '--model_path <dir>',
      'model folder to write (config.json, weights, training-log.jsonl, checkpoint/)',
    )
    .option(
      '--preset <name>',
      `starting sizes and settings: ${Object.keys(TRANSFORMER_PRESETS).join(', ')}`,
      'default',
    )
    .option(
      '--backend <name>',
      'where training runs: auto (a real GPU through WebGPU where one is found, else the system BLAS where it loads, else the fastest TF.js backend), webgpu (the whole step on the GPU), or a kernel provider for the CPU engine: blas, tensorflow-gpu, tensorflow, wasm, cpu',
      'auto',
    )
    .option('--blas-library <file>', 'a BLAS library to load before the system’s (OpenBLAS, Accelerate, MKL)')
    .option('--blas-threads <n>', 'threads inside each BLAS product when --threads is 1 (default 1)')
    .option('--threads <n>', 'threads computing gradients (data parallel; resume needs the same number)', '1')
    .option(
      '--transpose <list>',
      'transposition augmentation: semitone shifts drawn per window, e.g. -5..6 or 0,2,-2 (default: the preset’s)',
    )
    .option('--resume', 'continue from the model folder’s checkpoint')
    .option('--epochs <n>', 'most passes over the data')
    .option('--batch-size <n>', 'sequences per step')
    .option('--learning-rate <x>', 'peak learning rate (Adam, warm-up then cosine decay)')
    .option('--seq-length <n>', 'context length in events')
    .option('--layers <n>', 'decoder blocks')
    .option('--heads <n>', 'attention heads')
    .option('--d-model <n>', 'model width')
    .option('--d-ff <n>', 'feed-forward width')
    .option('--dropout <x>', 'dropout rate 0..1')
    .option('--max-steps-per-epoch <n>', 'cap on steps per epoch (0 = none)')
    .option('--patience <n>', 'epochs without improvement before stopping')
    .option('--seed <n>', 'seed for initialisation, data order and dropout')
    .option(
      '--time-limit <minutes>',
      'stop training after this many minutes (the epoch in progress is validated)',
    )
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'print only the result')
    .addHelpText(
      'after',
      '\nExample:\n  cadenza train-transformer --data_path processed_data/ --model_path models/transformer/ --preset default\n',
    )
    .action(async (flags: Flags) => {
      const preset = choiceOption('--preset', flags.preset, Object.keys(TRANSFORMER_PRESETS) as (keyof typeof TRANSFORMER_PRESETS)[])!;
      // Loaded here, not at the top: TF.js takes a second to load and `cadenza --help` should not wait for it.
      const { loadTokenDataset } = await import('../../core/node/preprocess/dataset');
      const { trainTransformer, TRANSFORMER_BACKEND_REQUESTS } = await import('../../core/node/train/trainTransformer');
      const backend = choiceOption('--backend', flags.backend, TRANSFORMER_BACKEND_REQUESTS)!;
      const int = (flag: string, v: string | undefined, min: number): number | undefined =>
        numberOption(flag, v, { min, integer: true });
      const architecture = Object.fromEntries(
        Object.entries({
          seqLength: int('--seq-length', flags.seqLength, 2),
          layers: int('--layers', flags.layers, 1),
          heads: int('--heads', flags.heads, 1),
          dModel: int('--d-model', flags.dModel, 2),
          dFF: int('--d-ff', flags.dFf, 1),
          dropout: numberOption('--dropout', flags.dropout, { min: 0, max: 0.9 }),
        }).filter(([, v]) => v !== undefined),
      );
      const training = Object.fromEntries(
        Object.entries({
          epochs: int('--epochs', flags.epochs, 1),
          batchSize: int('--batch-size', flags.batchSize, 1),
          learningRate: numberOption('--learning-rate', flags.learningRate, { min: 1e-7, max: 1 }),
          maxStepsPerEpoch: int('--max-steps-per-epoch', flags.maxStepsPerEpoch, 0),
          patience: int('--patience', flags.patience, 1),
          seed: int('--seed', flags.seed, 0),
          transpositions: flags.transpose === undefined ? undefined : parseShifts(flags.transpose),
        }).filter(([, v]) => v !== undefined),
      );
      if (!existsSync(flags.data_path))
        throw new UsageError(`--data_path names ${flags.data_path}, which does not exist.`, {
          field: '--data_path',
          path: flags.data_path,
        });
      const timeLimitMinutes = numberOption('--time-limit', flags.timeLimit, { min: 0.01 });
      const data = await loadTokenDataset(flags.data_path, 'performance');
      const options = {
        modelPath: flags.model_path,
        preset,
        architecture,
        training,
        backend,
        ...(flags.blasLibrary ? { blasLibrary: flags.blasLibrary } : {}),
        ...(flags.blasThreads !== undefined ? { blasThreads: int('--blas-threads', flags.blasThreads, 1)! } : {}),
        threads: int('--threads', flags.threads, 1)!,
        resume: flags.resume,
        ...(timeLimitMinutes !== undefined ? { timeLimitSeconds: timeLimitMinutes * 60 } : {}),
      };
      // Ctrl-C, and the TERM a service manager or the app sends, both save a checkpoint first.
      const result = await runStage(flags, 'the checkpoint was saved; --resume continues it', (run) =>
        trainTransformer(data, { ...options, signal: run.signal, onProgress: run.onProgress }),
      );
      printResult(flags, result, (r) =>
        [
          `Trained on ${r.backend}: ${r.backendReason}.`,
          `Held-out NLL ${r.validNll.toFixed(3)} nats/event (perplexity ${Math.exp(r.validNll).toFixed(1)}); unigram baseline ${r.unigramNll.toFixed(3)}.`,
          `${r.epochs} epochs, ${r.steps} steps${r.stoppedEarly ? ', stopped early' : ''}; model in ${r.modelPath}`,
        ].join('\n'),
      );
    });
}

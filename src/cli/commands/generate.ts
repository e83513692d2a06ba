/**
 * `cadenza generate`: new pieces from a trained LSTM, written as MIDI with a JSON sidecar each;
 * and `cadenza export-onnx`: write a model folder's ONNX export (training does it too).
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { GeneratedPiece } from '../../core/node/generate/generate';
import { DEFAULT_SECONDS, generatePieces } from '../../core/node/generate/generate';
import { DEFAULT_TEMPO_BPM, GENERATE_LIMITS } from '../../core/common/generate/options';
import { ONNX_ENGINES, RUNTIME_CHOICES } from '../../core/node/generate/runtime';
import { DEFAULT_SAMPLING, SAMPLING_LIMITS } from '../../core/common/generate/sampling';
import { COMPOSER_SAMPLING } from '../../core/common/models/composer';
import { DEFAULT_MEMORY_BUDGET } from '../../core/common/models/pieceMemory';
import { exportLstmModelFolder, ONNX_FILES } from '../../core/node/onnx/modelFolder';
import { resourcesDir } from '../../core/node/paths';
import { printResult, type GlobalOptions } from '../output';
import { choiceOption, numberOption } from '../options';
import { runStage } from '../runStage';
import { requireFolderTarget } from '../paths';

interface GenerateFlags extends GlobalOptions {
  model_path?: string;
  output_path?: string;
  count?: string;
  events?: string;
  seconds?: string;
  temperature?: string;
  topK?: string;
  topP?: string;
  maxRepeat?: string;
  memory?: string;
  memoryBudget?: string;
  seed?: string;
  primer?: string;
  tempo?: string;
  transpose?: string;
  runtime?: string;
  name?: string;
  batchSize?: string;
  threads?: string;
  engine?: string;
  dataDir?: string;
}

/** The bundled composer, used when --model_path is not given. */
export function bundledLstmPath(): string {
  return path.join(resourcesDir(), 'models', 'composer');
}

function summary(pieces: GeneratedPiece[]): string {
  return pieces
    .map((p) => {
      const s = p.stats;
      return (
        `${p.midiPath}  ${s.events} events (${s.tokens} tokens), ${s.notes} notes, ${s.durationSeconds.toFixed(1)} s, ` +
        `pitches ${s.lowestPitch}-${s.highestPitch}, ${s.distinctEvents} distinct, longest run ${s.longestRepeatedRun}, ` +
        `top event ${(s.mostFrequentShare * 100).toFixed(1)}% (seed ${p.seed}, ${p.runtime})`
      );
    })
    .join('\n');
}

/** Adds `generate` and `export-onnx` to the program. */
export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('Compose new pieces with a trained LSTM and write them as MIDI, each with a JSON sidecar of options and statistics.')
    .option('--model_path <dir>', 'LSTM model folder (default: the bundled model)')
    .option('--output_path <dir>', 'output folder; pieces go to <dir>/generated_midi/', 'output')
    .option('--count <n>', 'pieces to generate, as one batch', '1')
    .option('--events <n>', 'length in events (notes or chords)')
    .option('--seconds <s>', `length in seconds of music (default ${DEFAULT_SECONDS} when --events is not given)`)
    .option('--temperature <t>', `1 = the model as trained, lower = safer, higher = wilder, 0 = always the likeliest (default: ${COMPOSER_SAMPLING.temperature} for the composer, ${DEFAULT_SAMPLING.temperature} for a windowed BiLSTM)`)
    .option('--top-k <k>', 'sample only among the k likeliest events (0 = no limit)', String(DEFAULT_SAMPLING.topK))
    .option('--top-p <p>', `sample only among the likeliest events that make up this probability (default: ${COMPOSER_SAMPLING.topP} for the composer, ${DEFAULT_SAMPLING.topP} for a windowed BiLSTM)`)
    .option('--max-repeat <n>', 'never repeat one event more than n times in a row (0 = allow)', String(DEFAULT_SAMPLING.maxRepeat))
    .option('--memory <m>', 'composer only: how much a piece reuses its own earlier passages, 0 (never copies itself) to 1 (as often as the fitted memory would) (default: the model’s setting)')
    .option('--memory-budget <b>', `composer only: the most a piece may lean on its memory over the last 20 s or so, 0 to 1 (1 = no limit; default ${DEFAULT_MEMORY_BUDGET}), so a long piece does not settle into one texture`)
    .option('--seed <n>', 'seed of the first piece (piece i uses seed + i); the same seed gives the same piece on every runtime')
    .option('--primer <source>', 'start from a MIDI file, a corpus piece (corpus:<id> from "cadenza corpus list") or none', 'none')
    .option('--data-dir <dir>', 'data folder whose corpus corpus:<id> primers come from (default: the app’s data folder)')
    .option('--tempo <bpm>', `tempo of the written MIDI, ${GENERATE_LIMITS.tempoBpm.min} to ${GENERATE_LIMITS.tempoBpm.max} (default: the primer’s, else ${DEFAULT_TEMPO_BPM})`)
    .option('--transpose <semitones>', `shift the result by this many semitones (${GENERATE_LIMITS.transpose.min}..${GENERATE_LIMITS.transpose.max})`, '0')
    .option('--runtime <name>', 'auto (onnxruntime, else TF.js where onnxruntime cannot run), onnx or tfjs', 'auto')
    .option('--name <name>', 'file name for the piece (default piece-<seed>)')
    .option('--batch-size <n>', 'windows per model call (default: all pieces at once)')
    .option('--threads <n>', 'onnxruntime threads (default: 2 for a large model when a core is spare, else 1)')
    .option('--engine <name>', 'onnxruntime engine: incremental or window (default: the faster for the model; same result)')
    .option('--json', 'print the pieces as JSON')
    .option('--quiet', 'print only the result')
    .addHelpText(
      'after',
      '\nExamples:\n  cadenza generate\n  cadenza generate --count 4 --seconds 30 --seed 7 --output_path output/\n' +
        '  cadenza generate --primer song.mid --temperature 0.9 --top-p 0.9 --runtime tfjs\n',
    )
    .action(async (flags: GenerateFlags) => {
      requireFolderTarget('--output_path', flags.output_path ?? 'output');
      const options = {
        modelPath: flags.model_path ?? bundledLstmPath(),
        outputPath: flags.output_path ?? 'output',
        count: numberOption('--count', flags.count, GENERATE_LIMITS.count),
        events: numberOption('--events', flags.events, GENERATE_LIMITS.events),
        seconds: numberOption('--seconds', flags.seconds, GENERATE_LIMITS.seconds),
        temperature: numberOption('--temperature', flags.temperature, SAMPLING_LIMITS.temperature),
        topK: numberOption('--top-k', flags.topK, SAMPLING_LIMITS.topK),
        topP: numberOption('--top-p', flags.topP, SAMPLING_LIMITS.topP),
        maxRepeat: numberOption('--max-repeat', flags.maxRepeat, SAMPLING_LIMITS.maxRepeat),
        memory: numberOption('--memory', flags.memory, GENERATE_LIMITS.memory),
        memoryBudget: numberOption('--memory-budget', flags.memoryBudget, GENERATE_LIMITS.memoryBudget),
        seed: numberOption('--seed', flags.seed, GENERATE_LIMITS.seed),
        primer: flags.primer,
        tempoBpm: numberOption('--tempo', flags.tempo, GENERATE_LIMITS.tempoBpm),
        transpose: numberOption('--transpose', flags.transpose, GENERATE_LIMITS.transpose),
        runtime: choiceOption('--runtime', flags.runtime, RUNTIME_CHOICES),
        name: flags.name,
        batchSize: numberOption('--batch-size', flags.batchSize, GENERATE_LIMITS.batchSize),
        threads: numberOption('--threads', flags.threads, GENERATE_LIMITS.threads),
        engine: choiceOption('--engine', flags.engine, ONNX_ENGINES),
        dataDir: flags.dataDir,
      };
      const pieces = await runStage(flags, 'no piece was written', (run) => generatePieces(options, run));
      printResult(
        flags,
        pieces.map((p) => ({ name: p.name, midiPath: p.midiPath, sidecarPath: p.sidecarPath, seed: p.seed, runtime: p.runtime, stats: p.stats })),
        () => summary(pieces),
      );
    });

  program
    .command('export-onnx')
    .description(`Export an LSTM model folder to ONNX (${ONNX_FILES.model}), so generation runs on onnxruntime.`)
    .option('--model_path <dir>', 'LSTM model folder (default: the bundled model)')
    .option('--json', 'print the export info as JSON')
    .action(async (flags: GlobalOptions & { model_path?: string }) => {
      const dir = flags.model_path ?? bundledLstmPath();
      const info = await exportLstmModelFolder(dir);
      printResult(flags, { path: path.join(dir, ONNX_FILES.model), ...info }, (v) => `Wrote ${v.path} (${(v.bytes / 1024).toFixed(0)} KiB, opset ${v.opset}).`);
    });
}

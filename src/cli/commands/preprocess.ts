/**
 * `cadenza preprocess --input_path data/ --output_path processed_data/`: tokenizes a MIDI
 * folder for training (see src/core/node/preprocess and docs/TOKENIZERS.md).
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/common/errors';
import type { PreprocessKind, PreprocessResult } from '../../core/node/preprocess/preprocess';
import { DEFAULT_MIN_COUNT, preprocess } from '../../core/node/preprocess/preprocess';
import { printResult, type GlobalOptions } from '../output';
import { numberOption } from '../options';
import { runStage } from '../runStage';
import { registerTokenize } from './tokenize';
import { requireFolderTarget } from '../paths';

interface PreprocessFlags extends GlobalOptions {
  input_path?: string;
  output_path: string;
  tokenizer: string;
  validFraction?: string;
  seed?: string;
  minCount?: string;
  seqLength?: string;
}

/** The tokenizers a `--tokenizer` value stands for. Throws `UsageError` naming the flag. */
export function preprocessKinds(value: string): PreprocessKind[] {
  if (value === 'all') return ['remi', 'notes', 'performance'];
  if (value === 'both') return ['notes', 'performance'];
  if (value === 'remi' || value === 'notes' || value === 'performance') return [value];
  throw new UsageError(`--tokenizer must be remi, notes, performance, both (notes and performance) or all, not "${value}".`, {
    field: '--tokenizer',
  });
}

/** Adds `preprocess` and `tokenize` to the program. */
export function registerPreprocess(program: Command): void {
  registerTokenize(program);
  program
    .command('preprocess')
    .description(
      'Tokenize a folder of MIDI files for training: vocab.json, tokens.bin, index.json and manifest.json per tokenizer.',
    )
    .option('--input_path <path>', 'a folder searched recursively for .mid/.midi files, or one MIDI file')
    .option('--output_path <path>', 'folder that gets notes/ and performance/', 'processed_data')
    .option('--tokenizer <kind>', 'remi (the composer), notes, performance, both (notes and performance) or all', 'all')
    .option('--valid-fraction <share>', 'share of pieces held out for validation, 0 to 0.5 (default 0.1)')
    .option('--seed <n>', 'seed of the train/validation split (default 1)')
    .option(
      '--min-count <n>',
      `tokens seen fewer times in training are split or mapped (default ${DEFAULT_MIN_COUNT})`,
    )
    .option('--seq-length <n>', 'training sequence length recorded in the manifest (default 64)')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'print only the result')
    .addHelpText(
      'after',
      '\nExample:\n  cadenza preprocess --input_path ../shared/corpora/piano-midi --output_path processed_data\n',
    )
    .action(async (flags: PreprocessFlags) => {
      if (flags.input_path === undefined || flags.input_path === '')
        throw new UsageError('--input_path is required: give a folder of MIDI files or one MIDI file.', {
          field: '--input_path',
        });
      requireFolderTarget('--output_path', flags.output_path);
      const options = {
        inputPath: flags.input_path,
        outputPath: flags.output_path,
        kinds: preprocessKinds(flags.tokenizer),
        validFraction: numberOption('--valid-fraction', flags.validFraction, { min: 0, max: 0.5 }),
        seed: numberOption('--seed', flags.seed, { integer: true }),
        minCount: numberOption('--min-count', flags.minCount, { min: 1, integer: true }),
        seqLength: numberOption('--seq-length', flags.seqLength, { min: 2, integer: true }),
      };
      const result = await runStage(flags, 'nothing was written', (run) => preprocess(options, run));
      printResult(flags, result, summary);
    });
}

function summary(r: PreprocessResult): string {
  const lines = [
    `Preprocessed ${r.pieces} of ${r.files} MIDI files in ${r.seconds.toFixed(1)} s into ${r.outputPath}.`,
  ];
  for (const k of r.results) {
    const c = k.manifest.counts;
    const cov = k.manifest.coverage;
    lines.push(
      `  ${k.kind}: ${c.tokens} tokens (${c.trainPieces} training pieces, ${c.validPieces} validation), vocabulary ${c.vocabSize}, ` +
        `events exact ${pct(cov.exactEventShare)}, split exactly ${pct(cov.decomposedEventShare)}, approximated ${pct(cov.approximatedEventShare)}, unknown tokens ${pct(cov.unknownTokenShare)}  -> ${k.dir}`,
    );
  }
  for (const s of r.skipped) lines.push(`  skipped ${s.path}: ${s.reason}`);
  return lines.join('\n');
}

function pct(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.001 ? 3 : 1)}%`;
}

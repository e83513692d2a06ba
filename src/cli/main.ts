/**
 * The `cadenza` command line. Thin: each command parses its flags, calls core, shows
 * progress and prints the result. Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { reportError } from './output';
import { registerServe } from './commands/serve';
import { registerTrainTransformer } from './commands/train-transformer';
import { registerRefine } from './commands/refine';
import { registerDemo } from './commands/demo';
import { registerTrainLstm } from './commands/train-lstm';
import { registerEvaluate } from './commands/evaluate';
import { registerCorpus } from './commands/corpus';
import { registerGenerate } from './commands/generate';
import { registerPreprocess } from './commands/preprocess';
import { registerSynthesize } from './commands/synthesize';

/** Each command module adds its commands to the program. Order is the order in `--help`. */
const registrations: Array<(program: Command) => void> = [registerServe, registerTrainTransformer, registerTrainLstm, registerEvaluate, registerCorpus, registerPreprocess, registerGenerate, registerSynthesize, registerRefine, registerDemo];

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('cadenza')
    .description('Cadenza: learn from a MIDI corpus, compose new pieces, render and refine them.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const register of registrations) register(program);
  // Every subcommand inherits the same behaviour: usage errors throw instead of exiting.
  const apply = (cmd: Command): void => {
    cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
    cmd.commands.forEach(apply);
  };
  program.commands.forEach(apply);
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return 0;
      if (error.code === 'commander.help') return 0;
      // Commander already printed its message; usage errors exit with 2.
      return 2;
    }
    return reportError(error, { json: wantsJson });
  }
}

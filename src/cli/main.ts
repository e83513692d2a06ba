/**
 * The `cadenza` command line. Thin: each command parses its flags, calls core, shows
 * progress and prints the result. Exit codes: 0 success, 1 failure, 2 usage error.
 *
 * Command modules load lazily: `cadenza generate` loads only generate's module, and
 * `cadenza --help` loads none (it lists the commands from the table below), so TF.js,
 * onnxruntime and FluidSynth load only for the commands that use them.
 */
import { Command, CommanderError, Help } from 'commander';
import { serializeError, UsageError } from '../core/common/errors';
import { reportError } from './output';

/** How one top-level command appears in `cadenza --help` before its module is loaded. */
export interface CommandListing {
  /** The command's name, as typed after `cadenza`. */
  name: string;
  /** Its usage term in the command list, e.g. `tokenize [options] <file>`. */
  term: string;
  /** Its one-line description (the same text the module registers). */
  description: string;
}

/** A command module: the commands it registers and how to load it. */
export interface CommandModule {
  /** The top-level commands the module adds, in `--help` order. */
  commands: readonly CommandListing[];
  /** Imports the module and returns its register function. */
  load: () => Promise<(program: Command) => void>;
}

/**
 * Each command module, in pipeline order (the order of `cadenza --help`). To add a command:
 * one entry here; `src/cli/main.test.ts` checks each listing against what the module registers.
 */
export const registrations: readonly CommandModule[] = [
  {
    commands: [
      {
        name: 'corpus',
        term: 'corpus',
        description:
          'Manage the corpus: the MIDI files Cadenza learns from, stored by content hash with an index.',
      },
    ],
    load: async () => (await import('./commands/corpus')).registerCorpus,
  },
  {
    commands: [
      {
        name: 'tokenize',
        term: 'tokenize [options] <file>',
        description:
          'Print one MIDI file as tokens, as a model sees it (a JSON array of strings with --json; with --model, {"tokens", "ids"} in that model’s vocabulary).',
      },
      {
        name: 'preprocess',
        term: 'preprocess [options]',
        description:
          'Tokenize a folder of MIDI files for training: vocab.json, tokens.bin, index.json and manifest.json per tokenizer.',
      },
    ],
    load: async () => (await import('./commands/preprocess')).registerPreprocess,
  },
  {
    commands: [
      {
        name: 'train-lstm',
        term: 'train-lstm [options]',
        description:
          'Train the bidirectional LSTM (next note/chord event) on tokens from `cadenza preprocess`.',
      },
    ],
    load: async () => (await import('./commands/train-lstm')).registerTrainLstm,
  },
  {
    commands: [
      {
        name: 'generate',
        term: 'generate [options]',
        description:
          'Compose new pieces with a trained LSTM and write them as MIDI, each with a JSON sidecar of options and statistics.',
      },
      {
        name: 'export-onnx',
        term: 'export-onnx [options]',
        description: 'Export an LSTM model folder to ONNX (model.onnx), so generation runs on onnxruntime.',
      },
    ],
    load: async () => (await import('./commands/generate')).registerGenerate,
  },
  {
    commands: [
      {
        name: 'synthesize',
        term: 'synthesize [options]',
        description:
          'Render MIDI files to WAV with FluidSynth: a file or a folder (searched recursively), one WAV and one .wav.json sidecar each.',
      },
    ],
    load: async () => (await import('./commands/synthesize')).registerSynthesize,
  },
  {
    commands: [
      {
        name: 'train-transformer',
        term: 'train-transformer [options]',
        description:
          'Train the Music Transformer (relative attention) on performance tokens from `cadenza preprocess`.',
      },
    ],
    load: async () => (await import('./commands/train-transformer')).registerTrainTransformer,
  },
  {
    commands: [
      {
        name: 'refine',
        term: 'refine [options]',
        description:
          'Refine pieces with the Music Transformer (expressive velocity and timing, optional smoothing of improbable notes), re-render and master them.',
      },
    ],
    load: async () => (await import('./commands/refine')).registerRefine,
  },
  {
    commands: [
      {
        name: 'evaluate',
        term: 'evaluate [options]',
        description:
          'Measure generated, refined and rendered pieces against a reference corpus; write report.json and a self-contained report.html.',
      },
    ],
    load: async () => (await import('./commands/evaluate')).registerEvaluate,
  },
  {
    commands: [
      {
        name: 'demo',
        term: 'demo [options]',
        description:
          'Compose, render, refine and evaluate one piece with the bundled model and SoundFont (no options needed).',
      },
    ],
    load: async () => (await import('./commands/demo')).registerDemo,
  },
  {
    commands: [
      {
        name: 'serve',
        term: 'serve [options]',
        description:
          'Run the app in a browser: serve the UI and its backend on this machine (127.0.0.1 unless --host).',
      },
    ],
    load: async () => (await import('./commands/serve')).registerServe,
  },
];

/** The command `args` (process.argv without node and script) asks for: `cadenza help X` asks for X. */
export function requestedCommand(args: readonly string[]): string | undefined {
  // The program's own options (-h, -V) take no values, so the first word is the command.
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * Builds the program for `argv` (as process.argv): the requested command's module registered
 * for real, or, when no known command is named (help, a typo), a listing of every command.
 */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('cadenza')
    .description('Cadenza: learn from a MIDI corpus, compose new pieces, render and refine them.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  const wanted = requestedCommand(argv.slice(2));
  const module = registrations.find((m) => m.commands.some((c) => c.name === wanted));
  if (module) (await module.load())(program);
  else {
    // Listing-only commands: enough for `--help` and for commander's "did you mean" on a typo.
    const terms = new Map<string, string>();
    for (const m of registrations)
      for (const c of m.commands) {
        program.command(c.name).description(c.description);
        terms.set(c.name, c.term);
      }
    const help = new Help();
    program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? help.subcommandTerm(cmd) });
  }
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
  const wantsJson = argv.includes('--json');
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      )
        return 0;
      if (error.code === 'commander.help') return 0;
      // Commander already printed its message on stderr; with --json, stdout still gets the
      // one JSON document every failure gives, so scripts need only one parser.
      if (wantsJson) {
        const message = error.message.replace(/^error: /, '');
        const sentence = /[.?!]$/.test(message) ? message : `${message}.`;
        process.stdout.write(
          JSON.stringify({ error: serializeError(new UsageError(sentence)) }, null, 2) + '\n',
        );
      }
      return 2;
    }
    return reportError(error, { json: wantsJson });
  }
}

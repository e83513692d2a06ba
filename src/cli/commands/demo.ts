/**
 * `cadenza demo`: the main job on built-in defaults, for a newcomer's first run: compose a piece
 * with the bundled LSTM, render it with the bundled SoundFont, refine it with the bundled
 * transformer, and evaluate it against a reference corpus when one is at hand, else against the
 * bundled model's corpus profile (its training corpus's statistics, shipped beside it). Each
 * stage is the same core call its own command makes.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { deserializeError } from '../../core/common/errors';
import { availableSharedCorpusDir } from '../../core/node/paths';
import { availableBundledProfile } from '../../core/node/evaluate/profile';
import { printResult, type GlobalOptions } from '../output';
import { engineOption, numberOption } from '../options';
import { runStage } from '../runStage';
import { bundledLstmPath } from './generate';

interface Flags extends GlobalOptions {
  output_path: string;
  seconds: string;
  seed?: string;
  reference?: string;
  engine: string;
}

/** What the demo wrote. */
interface DemoResult {
  midi: string;
  audio: string;
  refinedMidi: string;
  refinedAudio: string;
  report?: string;
  note?: string;
}

/** The demo's last line: where to go next. */
export const STUDIO_HINT =
  'Open the studio to hear, compare and edit it: npm start (or `cadenza serve --open` for the browser).';

/** Step 4/4's line: evaluation against `reference` (a MIDI folder or a profile), or why it is skipped (the demo always says all four steps). */
export function evaluationStepLine(reference: string | undefined): string {
  if (!reference) return '4/4 evaluation skipped: no reference corpus here and no corpus profile in this build (pass --reference <MIDI folder>).';
  return /\.json$/i.test(reference)
    ? `4/4 evaluating against the bundled model's corpus profile (${reference}: the statistics of its training pieces; copying is not checked)…`
    : `4/4 evaluating against the reference corpus (${reference})…`;
}

/** What the demo evaluates against: the flag, else the shared corpus when present, else the bundled profile. */
export function demoReference(flag: string | undefined): string | undefined {
  return flag ?? availableSharedCorpusDir() ?? availableBundledProfile();
}

/** Adds `demo` to the program. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Compose, render, refine and evaluate one piece with the bundled model and SoundFont (no options needed).',
    )
    .option('--output_path <dir>', 'where everything goes', 'output')
    .option('--seconds <s>', 'length of the piece in seconds', '30')
    .option('--seed <n>', 'seed of the piece (default: random)')
    .option(
      '--reference <path>',
      'MIDI folder (or reference profile) to evaluate against (default: ../shared/corpora/piano-midi when present, else the bundled model’s corpus profile)',
    )
    .option('--engine <name>', 'synth engine: auto, native or wasm', 'auto')
    .option('--json', 'print the written paths as JSON')
    .option('--quiet', 'print only the result')
    .action(async (flags: Flags) => {
      const seconds = numberOption('--seconds', flags.seconds, { min: 1, max: 600 })!;
      const seed = numberOption('--seed', flags.seed, { integer: true, min: 0 });
      const out = flags.output_path;
      const engine = engineOption(flags.engine);
      const { result, r } = await runStage(flags, 'what the finished steps wrote was kept', async (run) => {
        const say = (line: string): void => {
          run.endBarLine();
          if (!flags.quiet && !flags.json) process.stderr.write(`${line}\n`);
        };
        say('1/4 composing with the bundled LSTM…');
        const { generatePieces } = await import('../../core/node/generate/generate');
        const [piece] = await generatePieces(
          { modelPath: bundledLstmPath(), outputPath: out, count: 1, seconds, seed },
          run,
        );

        say('2/4 rendering with FluidSynth and the bundled SoundFont…');
        const { synthesizeFiles } = await import('../../core/node/render/batch');
        const audio = await synthesizeFiles(
          [piece!.midiPath],
          path.join(out, 'audio'),
          { engine },
          run,
        );
        if (audio.failures[0]) throw deserializeError(audio.failures[0].error);
        const wav = audio.results[0]!.wavPath;

        say('3/4 refining with the bundled Music Transformer and mastering…');
        const { refinePieces } = await import('../../core/node/refine/refine');
        const refined = await refinePieces({
          audioPaths: [wav],
          outputPath: path.join(out, 'refined_audio'),
          engine,
          onProgress: run.onProgress,
          signal: run.signal,
        });
        if (refined.failures[0]) throw deserializeError(refined.failures[0].error);
        const r = refined.pieces[0]!;

        const result: DemoResult = {
          midi: piece!.midiPath,
          audio: wav,
          refinedMidi: r.refinedMidi,
          refinedAudio: r.refinedAudio,
        };
        const reference = demoReference(flags.reference);
        say(evaluationStepLine(reference));
        if (reference) {
          const { runEvaluation, writeEvaluationReport } = await import('../../core/node/evaluate/evaluate');
          const report = await runEvaluation(
            {
              reference,
              generated: path.dirname(piece!.midiPath),
              audio: path.dirname(wav),
              refined: path.dirname(r.refinedAudio),
            },
            run,
          );
          result.report = (await writeEvaluationReport(path.join(out, 'report'), report)).htmlPath;
        } else
          result.note =
            'Evaluation was skipped: no reference corpus was found; run `cadenza evaluate --reference <MIDI folder> …` to compare.';
        return { result, r };
      });
      printResult(flags, result, (v) =>
        [
          `Composed   ${v.midi}`,
          `Rendered   ${v.audio}`,
          `Refined    ${v.refinedMidi}`,
          `           ${v.refinedAudio}  (${r.mastering.outputLufs.toFixed(1)} LUFS, velocity ${r.velocity.before.mean.toFixed(0)}±${r.velocity.before.std.toFixed(0)} -> ${r.velocity.after.mean.toFixed(0)}±${r.velocity.after.std.toFixed(0)})`,
          v.report ? `Report     ${v.report}` : (v.note ?? ''),
          '',
          STUDIO_HINT,
        ].join('\n'),
      );
    });
}

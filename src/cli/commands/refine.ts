/**
 * `cadenza refine`: expressive re-performance with the Music Transformer, then re-rendering and
 * mastering. Takes the WAVs `cadenza synthesize` wrote (their sidecars name the MIDI) or MIDI files.
 */
import type { Command } from 'commander';
import { deserializeError, UsageError } from '../../core/common/errors';
import { printResult, type GlobalOptions } from '../output';
import { engineOption, formatOption, numberOption, sampleRateOption } from '../options';
import { runStage } from '../runStage';
import { requireFolderTarget } from '../paths';

interface Flags extends GlobalOptions {
  audio_path?: string[];
  midi_path?: string[];
  output_path: string;
  model_path?: string;
  strength: string;
  expression: string;
  temperature: string;
  seed: string;
  targetLufs: string;
  ceilingDbtp: string;
  engine: string;
  soundfont?: string;
  sampleRate: string;
  format: string;
}

/** Adds `refine` to the program. */
export function registerRefine(program: Command): void {
  program
    .command('refine')
    .description(
      'Refine pieces with the Music Transformer (expressive velocity and timing, optional smoothing of improbable notes), re-render and master them.',
    )
    .option('--audio_path <paths...>', 'WAV files or folders rendered by `cadenza synthesize` (their sidecars name the MIDI)')
    .option('--midi_path <paths...>', 'MIDI files or folders to refine directly')
    .option('--output_path <dir>', 'folder for the refined MIDI, WAV and sidecar JSON', 'output/refined_audio')
    .option('--model_path <dir>', 'transformer model folder (default: the bundled model)')
    .option('--strength <x>', '0..1: how far smoothing may change pitches (0 = expression only, pitches untouched)', '0')
    .option('--expression <x>', '0..1: phrase dynamics, tempo curve (rubato, ritardando), voicing, pedal and micro-timing (0 = level dynamics only)', '0.5')
    .option('--temperature <t>', 'sampling temperature of the model’s choices', '0.9')
    .option('--seed <n>', 'seed of the model’s choices', '1')
    .option('--target-lufs <lufs>', 'integrated loudness to master to (EBU R128)', '-16')
    .option('--ceiling-dbtp <db>', 'true-peak ceiling of the limiter', '-1')
    .option('--engine <name>', 'synth engine: auto, native or wasm', 'auto')
    .option('--soundfont <file>', 'SF2/SF3 SoundFont (default: the bundled one)')
    .option('--sample-rate <hz>', '44100 or 48000', '44100')
    .option('--format <f>', 'WAV sample format: pcm16, pcm24 or float32', 'pcm16')
    .option('--json', 'print the refinement report as JSON')
    .option('--quiet', 'print only the result')
    .addHelpText('after', '\nExample:\n  cadenza refine --audio_path output/audio/ --output_path output/refined_audio/\n')
    .action(async (flags: Flags) => {
      if (!flags.audio_path?.length && !flags.midi_path?.length)
        throw new UsageError('Give --audio_path or --midi_path: there is nothing to refine.', { field: '--audio_path' });
      requireFolderTarget('--output_path', flags.output_path);
      const engine = engineOption(flags.engine);
      const format = formatOption(flags.format);
      const sampleRateHz = sampleRateOption(flags.sampleRate);
      const { refinePieces } = await import('../../core/node/refine/refine');
      const options = {
        audioPaths: flags.audio_path,
        midiPaths: flags.midi_path,
        outputPath: flags.output_path,
        modelPath: flags.model_path,
        strength: numberOption('--strength', flags.strength, { min: 0, max: 1 }),
        expression: numberOption('--expression', flags.expression, { min: 0, max: 1 }),
        temperature: numberOption('--temperature', flags.temperature, { min: 0.05, max: 5 }),
        seed: numberOption('--seed', flags.seed, { integer: true, min: 0 }),
        targetLufs: numberOption('--target-lufs', flags.targetLufs, { min: -70, max: 0 }),
        ceilingDbtp: numberOption('--ceiling-dbtp', flags.ceilingDbtp, { min: -20, max: 0 }),
        engine,
        soundfontPath: flags.soundfont,
        sampleRateHz,
        format,
      };
      const report = await runStage(flags, 'the pieces already refined were kept', (run) =>
        refinePieces({ ...options, onProgress: run.onProgress, signal: run.signal }),
      );
      printResult(flags, report, (r) =>
        [
          ...r.pieces.map(
            (p) =>
              `${p.refinedAudio}  velocity ${p.velocity.before.mean.toFixed(0)}±${p.velocity.before.std.toFixed(0)} -> ${p.velocity.after.mean.toFixed(0)}±${p.velocity.after.std.toFixed(0)} ` +
              `(corpus overlap ${p.velocity.corpusOverlapBefore.toFixed(2)} -> ${p.velocity.corpusOverlapAfter.toFixed(2)}), ` +
              `${p.expression.notesResampled} notes resampled, ${p.mastering.outputLufs.toFixed(1)} LUFS, ` +
              `${p.mastering.outputTruePeakDbtp.toFixed(1)} dBTP, ${p.audio.engine}`,
          ),
          ...r.failures.map((f) => `skipped ${f.input}: ${f.error.message}`),
        ].join('\n'),
      );
      // Nothing refined at all is a failure: exit non-zero with the first reason.
      if (report.pieces.length === 0 && report.failures[0]) throw deserializeError(report.failures[0].error);
    });
}

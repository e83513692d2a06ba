/**
 * `cadenza refine`: expressive re-performance with the Music Transformer, then re-rendering and
 * mastering. Takes the WAVs `cadenza synthesize` wrote (their sidecars name the MIDI) or MIDI files.
 */
import type { Command } from 'commander';
import { DEFAULT_CEILING_DBTP, DEFAULT_TARGET_LUFS } from '../../core/common/audio/master';
import { WAV_SAMPLE_FORMATS } from '../../core/common/audio/wav';
import { deserializeError, UsageError } from '../../core/common/errors';
import {
  DEFAULT_EXPRESSION,
  DEFAULT_REFINE_SEED,
  DEFAULT_REFINE_TEMPERATURE,
  DEFAULT_STRENGTH,
  REFINE_LIMITS,
} from '../../core/common/refine/options';
import { DEFAULT_SAMPLE_RATE_HZ, ENGINE_CHOICES, SAMPLE_RATES_HZ } from '../../core/common/render/settings';
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
    .option('--strength <x>', '0..1: how far smoothing may change pitches (0 = expression only, pitches untouched)', String(DEFAULT_STRENGTH))
    .option('--expression <x>', '0..1: phrase dynamics, tempo curve (rubato, ritardando), voicing, pedal and micro-timing (0 = level dynamics only)', String(DEFAULT_EXPRESSION))
    .option('--temperature <t>', `sampling temperature of the model’s choices, ${REFINE_LIMITS.temperature.min} to ${REFINE_LIMITS.temperature.max}`, String(DEFAULT_REFINE_TEMPERATURE))
    .option('--seed <n>', 'seed of the model’s choices', String(DEFAULT_REFINE_SEED))
    .option('--target-lufs <lufs>', 'integrated loudness to master to (EBU R128)', String(DEFAULT_TARGET_LUFS))
    .option('--ceiling-dbtp <db>', 'true-peak ceiling of the limiter', String(DEFAULT_CEILING_DBTP))
    .option('--engine <name>', `synth engine: ${ENGINE_CHOICES.join(', ')}`, 'auto')
    .option('--soundfont <file>', 'SF2/SF3 SoundFont (default: the bundled one)')
    .option('--sample-rate <hz>', SAMPLE_RATES_HZ.join(' or '), String(DEFAULT_SAMPLE_RATE_HZ))
    .option('--format <f>', `WAV sample format: ${WAV_SAMPLE_FORMATS.join(', ')}`, 'pcm16')
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
        strength: numberOption('--strength', flags.strength, REFINE_LIMITS.strength),
        expression: numberOption('--expression', flags.expression, REFINE_LIMITS.expression),
        temperature: numberOption('--temperature', flags.temperature, REFINE_LIMITS.temperature),
        seed: numberOption('--seed', flags.seed, REFINE_LIMITS.seed),
        targetLufs: numberOption('--target-lufs', flags.targetLufs, REFINE_LIMITS.targetLufs),
        ceilingDbtp: numberOption('--ceiling-dbtp', flags.ceilingDbtp, REFINE_LIMITS.ceilingDbtp),
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

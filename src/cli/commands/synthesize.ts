/**
 * `cadenza synthesize`: render MIDI files or folders to WAV with FluidSynth (native library or
 * wasm), one WAV plus a sidecar JSON per MIDI file, written atomically.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { RenderError, UsageError } from '../../core/common/errors';
import { WAV_SAMPLE_FORMATS } from '../../core/common/audio/wav';
import { DEFAULT_SAMPLE_RATE_HZ, SAMPLE_RATES_HZ } from '../../core/common/render/settings';
import { DEFAULT_GAIN, GAIN_RANGE } from '../../core/node/render/render';
import { DEFAULT_SOUNDFONT } from '../../core/node/render/soundfont';
import { DEFAULT_MAX_TAIL_SECONDS } from '../../core/node/render/fluidLoop';
import { synthesizeFiles, type SynthesizeReport } from '../../core/node/render/batch';
import { formatDuration, printResult, type GlobalOptions } from '../output';
import { engineOption, formatOption, numberOption, sampleRateOption } from '../options';
import { runStage } from '../runStage';
import { requireFolderTarget } from '../paths';

interface SynthesizeFlags extends GlobalOptions {
  midi_path?: string[];
  output_path: string;
  sampleRate: string;
  format: string;
  gain?: string;
  soundfont?: string;
  engine: string;
  library?: string;
  maxTail?: string;
  jobs?: string;
}

/** Adds `synthesize` to the program. */
export function registerSynthesize(program: Command): void {
  program
    .command('synthesize')
    .description(
      'Render MIDI files to WAV with FluidSynth: a file or a folder (searched recursively), one WAV and one .wav.json sidecar each.',
    )
    .option('--midi_path <paths...>', 'MIDI files or folders to render', undefined)
    .option('--output_path <dir>', 'folder for the WAVs (created if missing)', 'output/audio')
    .option('--sample-rate <hz>', `sample rate: ${SAMPLE_RATES_HZ.join(' or ')}`, String(DEFAULT_SAMPLE_RATE_HZ))
    .option(
      '--format <format>',
      `sample format: ${WAV_SAMPLE_FORMATS.join(', ')} (also s16, s24, float)`,
      'pcm16',
    )
    .option(
      '--gain <gain>',
      `FluidSynth master gain, ${GAIN_RANGE.min} to ${GAIN_RANGE.max} (FluidSynth's own default is 0.2)`,
      String(DEFAULT_GAIN),
    )
    .option('--soundfont <path>', `an SF2 or SF3 SoundFont (default: the bundled ${DEFAULT_SOUNDFONT})`)
    .option(
      '--engine <engine>',
      'native (system libfluidsynth), wasm (bundled), or auto: native if it loads, else wasm',
      'auto',
    )
    .option('--library <path>', 'path of libfluidsynth when it is not in the usual places')
    .option(
      '--max-tail <seconds>',
      'longest release tail kept after the last note-off, 0 to 30, faded out (0 = no limit: stop where `fluidsynth -F` stops)',
      String(DEFAULT_MAX_TAIL_SECONDS),
    )
    .option(
      '--jobs <n>',
      'files rendered at once (this thread and worker threads), 1 to 16 (default: one per idle core, at most 4)',
    )
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'print only the result')
    .addHelpText(
      'after',
      '\nExamples:\n  cadenza synthesize --midi_path output/generated_midi/ --output_path output/audio/\n  cadenza synthesize --midi_path song.mid --format float32 --sample-rate 48000 --engine wasm\n',
    )
    .action(async (flags: SynthesizeFlags) => {
      const midiPaths = flags.midi_path ?? [];
      if (midiPaths.length === 0)
        throw new UsageError('--midi_path is required: give a MIDI file or a folder of them.', {
          field: '--midi_path',
        });
      requireFolderTarget('--output_path', flags.output_path);
      const format = formatOption(flags.format);
      const engine = engineOption(flags.engine);
      const sampleRateHz = sampleRateOption(flags.sampleRate);
      const gain = numberOption('--gain', flags.gain, GAIN_RANGE);
      const maxTailSeconds = numberOption('--max-tail', flags.maxTail, { min: 0, max: 30 });
      const jobs = numberOption('--jobs', flags.jobs, { min: 1, max: 16, integer: true });
      // A path that names nothing is a usage error (exit 2); a damaged SoundFont fails later (exit 1).
      if (flags.soundfont !== undefined && !existsSync(flags.soundfont))
        throw new UsageError(`--soundfont names ${flags.soundfont}, which does not exist.`, {
          field: '--soundfont',
          path: flags.soundfont,
        });

      const options = {
        engine,
        sampleRateHz,
        format,
        ...(gain !== undefined ? { gain } : {}),
        ...(maxTailSeconds !== undefined ? { maxTailSeconds } : {}),
        ...(jobs !== undefined ? { jobs } : {}),
        ...(flags.soundfont !== undefined ? { soundfontPath: flags.soundfont } : {}),
        ...(flags.library !== undefined ? { libraryPath: flags.library } : {}),
      };
      const report = await runStage(flags, 'the WAVs already rendered were kept', (run) =>
        synthesizeFiles(midiPaths, flags.output_path, options, run),
      );
      if (report.failures.length > 0) {
        if (!flags.json) printResult(flags, report, summary);
        const first = report.failures[0]!.error.message;
        throw new RenderError(
          report.failures.length === 1
            ? first
            : `${report.failures.length} of ${report.failures.length + report.results.length} files could not be rendered; the first: ${first}`,
          { detail: report },
        );
      }
      printResult(flags, report, summary);
    });
}

function summary(r: SynthesizeReport): string {
  const lines = [
    `Rendered ${r.results.length} ${r.results.length === 1 ? 'file' : 'files'} (${formatDuration(r.audioSeconds)} of audio) in ${r.wallSeconds.toFixed(1)} s with the ${r.engine} engine (FluidSynth ${r.engineVersion})${r.fallbackReason ? ` because ${lowerFirst(r.fallbackReason.replace(/\.$/, ''))}` : ''}.`,
    `SoundFont: ${r.soundfontPath}`,
  ];
  for (const x of r.results)
    lines.push(
      `  ${x.wavPath}  ${formatDuration(x.durationSeconds)}  peak ${fmtDb(x.peakDbfs)} dBFS  rms ${fmtDb(x.rmsDbfs)} dBFS${x.clippedSamples ? `  CLIPPED ${x.clippedSamples} samples` : ''}  ${x.realtimeFactor.toFixed(0)}x realtime`,
    );
  for (const f of r.failures) lines.push(`  failed: ${f.error.message}`);
  return lines.join('\n');
}

function fmtDb(db: number): string {
  return Number.isFinite(db) ? db.toFixed(1) : '-inf';
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

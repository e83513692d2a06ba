/**
 * `cadenza synthesize`: render MIDI files or folders to WAV with FluidSynth (native library or
 * wasm), one WAV plus a sidecar JSON per MIDI file, written atomically.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { RenderError, UsageError } from '../../core/common/errors';
import { WAV_SAMPLE_FORMATS, type WavSampleFormat } from '../../core/common/audio/wav';
import type { EngineChoice } from '../../core/node/render/render';
import { DEFAULT_GAIN } from '../../core/node/render/render';
import { DEFAULT_SOUNDFONT } from '../../core/node/render/soundfont';
import { DEFAULT_MAX_TAIL_SECONDS } from '../../core/node/render/fluidLoop';
import { synthesizeFiles, type SynthesizeReport } from '../../core/node/render/batch';
import { formatDuration, numberOption, printResult, progressBar, type GlobalOptions } from '../output';
import { requireFolderTarget } from '../paths';

interface SynthesizeFlags extends GlobalOptions {
  midi_path?: string[];
  output_path: string;
  sampleRate?: string;
  format: string;
  gain?: string;
  soundfont?: string;
  engine: string;
  library?: string;
  maxTail?: string;
  jobs?: string;
}

const FORMAT_ALIASES: Record<string, WavSampleFormat> = {
  pcm16: 'pcm16',
  s16: 'pcm16',
  '16': 'pcm16',
  pcm24: 'pcm24',
  s24: 'pcm24',
  '24': 'pcm24',
  float32: 'float32',
  float: 'float32',
  f32: 'float32',
  '32f': 'float32',
};

/** Adds `synthesize` to the program. */
export function registerSynthesize(program: Command): void {
  program
    .command('synthesize')
    .description(
      'Render MIDI files to WAV with FluidSynth: a file or a folder (searched recursively), one WAV and one .wav.json sidecar each.',
    )
    .option('--midi_path <paths...>', 'MIDI files or folders to render', undefined)
    .option('--output_path <dir>', 'folder for the WAVs (created if missing)', 'output/audio')
    .option('--sample-rate <hz>', 'sample rate: 44100 or 48000', '44100')
    .option(
      '--format <format>',
      `sample format: ${WAV_SAMPLE_FORMATS.join(', ')} (also s16, s24, float)`,
      'pcm16',
    )
    .option(
      '--gain <gain>',
      `FluidSynth master gain, 0 to 10 (FluidSynth's own default is 0.2)`,
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
      if (!flags.midi_path || flags.midi_path.length === 0)
        throw new UsageError('--midi_path is required: give a MIDI file or a folder of them.', {
          field: '--midi_path',
        });
      requireFolderTarget('--output_path', flags.output_path);
      const format = FORMAT_ALIASES[flags.format.toLowerCase()];
      if (!format)
        throw new UsageError(
          `--format must be one of ${WAV_SAMPLE_FORMATS.join(', ')}, not "${flags.format}".`,
          { field: '--format' },
        );
      const engine = flags.engine.toLowerCase();
      if (engine !== 'auto' && engine !== 'native' && engine !== 'wasm')
        throw new UsageError(`--engine must be native, wasm or auto, not "${flags.engine}".`, {
          field: '--engine',
        });
      const sampleRateHz = numberOption('--sample-rate', flags.sampleRate, { integer: true })!;
      if (sampleRateHz !== 44100 && sampleRateHz !== 48000)
        throw new UsageError(`--sample-rate must be 44100 or 48000, not "${flags.sampleRate}".`, {
          field: '--sample-rate',
        });
      const gain = numberOption('--gain', flags.gain, { min: 0, max: 10 });
      const maxTailSeconds = numberOption('--max-tail', flags.maxTail, { min: 0, max: 30 });
      const jobs = numberOption('--jobs', flags.jobs, { min: 1, max: 16, integer: true });
      // A path that names nothing is a usage error (exit 2); a damaged SoundFont fails later (exit 1).
      if (flags.soundfont !== undefined && !existsSync(flags.soundfont))
        throw new UsageError(`--soundfont names ${flags.soundfont}, which does not exist.`, {
          field: '--soundfont',
          path: flags.soundfont,
        });

      const bar = progressBar(flags);
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      let report: SynthesizeReport;
      try {
        report = await synthesizeFiles(
          flags.midi_path,
          flags.output_path,
          {
            engine: engine as EngineChoice,
            sampleRateHz,
            format,
            ...(gain !== undefined ? { gain } : {}),
            ...(maxTailSeconds !== undefined ? { maxTailSeconds } : {}),
            ...(jobs !== undefined ? { jobs } : {}),
            ...(flags.soundfont !== undefined ? { soundfontPath: flags.soundfont } : {}),
            ...(flags.library !== undefined ? { libraryPath: flags.library } : {}),
          },
          { onProgress: bar, signal: controller.signal },
        );
      } finally {
        bar.finish();
        process.off('SIGINT', stop);
      }
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

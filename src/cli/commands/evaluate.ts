/** `cadenza evaluate`: objective music and audio measures of generated pieces against a reference, as report.json and report.html. */
import type { Command } from 'commander';
import type { EvaluationReport } from '../../core/common/evaluate/report';
import { formatNumber } from '../../core/common/evaluate/svg';
import { runEvaluation, writeEvaluationReport } from '../../core/node/evaluate/evaluate';
import { printResult, type GlobalOptions } from '../output';
import { numberOption } from '../options';
import { runStage } from '../runStage';

interface EvaluateFlags extends GlobalOptions {
  reference: string;
  generated?: string;
  refined?: string;
  audio?: string;
  model?: string;
  ngramTrain?: string;
  ngramOrder?: string;
  output: string;
  maxTargets?: string;
}

/** A few lines a person reads after the run: where the report is and the headline figures. */
function headline(report: EvaluationReport, paths: { jsonPath: string; htmlPath: string }): string {
  const lines = [
    `Wrote ${paths.htmlPath}`,
    `  and ${paths.jsonPath} (${formatNumber(report.totalSeconds)} s)`,
  ];
  for (const s of report.sets) {
    const midi = s.pieces.filter((p) => p.measures).length;
    const audio = s.pieces.filter((p) => p.audio).length;
    let line = `${s.role}: ${midi} MIDI, ${audio} audio`;
    if (s.comparison?.length) {
      const oa = s.comparison.map((c) => c.overlapArea).filter(Number.isFinite);
      line += `; mean overlap with reference ${formatNumber(oa.reduce((a, b) => a + b, 0) / Math.max(1, oa.length))}`;
    }
    if (s.role !== 'reference' && s.copiedSummary?.count)
      line += `; longest copied span ${formatNumber(s.copiedSummary.max)} events`;
    if (s.audioSummary?.integratedLufs?.count)
      line += `; median loudness ${formatNumber(s.audioSummary.integratedLufs.p50)} LUFS`;
    lines.push(line);
  }
  if (report.likelihood) {
    const l = report.likelihood;
    lines.push(
      `likelihood: model ${formatNumber(l.modelNll, 4)}${l.modelWithoutMemoryNll !== undefined ? ` (without its piece memory ${formatNumber(l.modelWithoutMemoryNll, 4)})` : ''}, ${l.ngramOrder}-gram ${formatNumber(l.ngramNll, 4)}, unigram ${formatNumber(l.unigramNll, 4)} nats/token on ${l.targets} tokens of ${l.pieces} held-out pieces (${l.unknownTokens} unknown tokens)`,
    );
  }
  if (report.verdict?.length) lines.push('', ...report.verdict);
  if (report.warnings.length) lines.push(`${report.warnings.length} warning(s); see the report.`);
  return lines.join('\n');
}

/** Adds `evaluate` to the program. */
export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Measure generated, refined and rendered pieces against a reference corpus; write report.json and a self-contained report.html.',
    )
    .requiredOption(
      '--reference <path>',
      'reference music: a MIDI folder, a corpus data folder, preprocessed data, or a reference profile (.json, e.g. resources/models/composer/reference-profile.json)',
    )
    .option('--generated <path>', 'generated MIDI files (folder or file)')
    .option('--refined <path>', 'refined pieces: WAV and/or MIDI files')
    .option('--audio <path>', 'rendered audio: WAV files')
    .option(
      '--model <dir>',
      'a model folder: scored on the --reference pieces it was not trained on, beside an n-gram and a unigram trained on its training pieces',
    )
    .option(
      '--ngram-train <dir>',
      'MIDI folder of the pieces the model was trained on, when its config.json does not list them (trainingPieces)',
    )
    .option('--ngram-order <n>', 'N of the Kneser-Ney n-gram baseline', '5')
    .option('--max-targets <n>', 'most held-out tokens to score with --model', '20000')
    .option('--output <dir>', 'where report.json and report.html go', 'report')
    .option('--json', 'print the whole report as JSON')
    .option('--quiet', 'print only the result')
    .addHelpText(
      'after',
      '\nExamples:\n  cadenza evaluate --reference ../shared/corpora/piano-midi --generated output/generated_midi/\n' +
        '  cadenza evaluate --reference processed_data/ --generated output/generated_midi/ --refined output/refined_audio/ \\\n' +
        '      --audio output/audio/ --output report/\n' +
        '  cadenza evaluate --model models/composer --reference ../shared/corpora/piano-midi --generated output/generated_midi/\n' +
        '  cadenza evaluate --model resources/models/lstm --reference held-out/ --ngram-train train/\n',
    )
    .action(async (flags: EvaluateFlags) => {
      const options = {
        reference: flags.reference,
        generated: flags.generated,
        refined: flags.refined,
        audio: flags.audio,
        model: flags.model,
        ngramTrain: flags.ngramTrain,
        ngramOrder: numberOption('--ngram-order', flags.ngramOrder, { min: 1, max: 10, integer: true }),
        maxLikelihoodTargets: numberOption('--max-targets', flags.maxTargets, { min: 1, max: 10_000_000, integer: true }),
      };
      const report = await runStage(flags, 'no report was written', (run) => runEvaluation(options, run));
      const paths = await writeEvaluationReport(flags.output, report);
      printResult(flags, { ...paths, report }, () => headline(report, paths));
    });
}

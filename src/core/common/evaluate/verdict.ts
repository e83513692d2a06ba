/**
 * The evaluation in sentences a musician reads: how close each compared set is to the reference
 * on the composer features, and how the model predicts held-out music against the n-gram baseline.
 * The report's HTML and the CLI summary both show these sentences.
 */
import { COMPOSER_FEATURES, overlapSummary } from './compare';
import type { MeasureInfo } from './measures';
import type { EvaluationReport, LikelihoodReport, SetRole } from './report';
import { formatNumber } from './svg';

const SET_NOUNS: Record<SetRole, string> = {
  reference: 'The reference pieces',
  generated: 'The generated pieces',
  refined: 'The refined pieces',
  audio: 'The rendered pieces',
};

/** Words for a mean overlap area (1 = indistinguishable from the reference). */
export function closenessWords(meanOverlap: number): string {
  if (!Number.isFinite(meanOverlap)) return 'not comparable with';
  if (meanOverlap >= 0.8) return 'very close to';
  if (meanOverlap >= 0.65) return 'close to';
  if (meanOverlap >= 0.45) return 'somewhat like';
  if (meanOverlap >= 0.25) return 'clearly unlike';
  return 'far from';
}

/** One sentence: the model against the n-gram and unigram baselines on held-out music. */
export function likelihoodSentence(l: LikelihoodReport): string {
  const ratio = l.modelNll / l.ngramNll;
  const how = !Number.isFinite(ratio)
    ? 'could not be compared with'
    : ratio <= 0.9
      ? 'clearly better than'
      : ratio < 0.98
        ? 'somewhat better than'
        : ratio <= 1.02
          ? 'about as well as'
          : 'worse than';
  const pieces = `${l.pieces} piece${l.pieces === 1 ? '' : 's'}`;
  const unknown = l.unknownTokens
    ? ` ${l.unknownTokens} of their tokens were not in the model's vocabulary.`
    : '';
  return (
    `On ${pieces} it was not trained on, the model predicts the next ${l.tokenizer} token ${how} a ${l.ngramOrder}-gram ` +
    `baseline trained on the same ${l.trainingPieces} training pieces (${formatNumber(l.modelNll, 3)} against ` +
    `${formatNumber(l.ngramNll, 3)} nats per token, ratio ${formatNumber(ratio, 3)}; the unigram scores ` +
    `${formatNumber(l.unigramNll, 3)}).${unknown}`
  );
}

/** The sentences for a report (empty when there is nothing to compare). */
export function verdictSentences(
  report: Pick<EvaluationReport, 'sets' | 'likelihood' | 'measures'>,
): string[] {
  const out: string[] = [];
  const labels = new Map<string, MeasureInfo>(report.measures.scalars.map((m) => [m.id, m]));
  for (const s of report.sets.slice(1)) {
    if (!s.comparison?.length) continue;
    const ids = COMPOSER_FEATURES.filter((id) => s.comparison!.some((c) => c.id === id));
    const o = overlapSummary(s.comparison, ids);
    if (!Number.isFinite(o.mean)) continue;
    const least = labels.get(o.minFeature)?.label.toLowerCase() ?? o.minFeature;
    out.push(
      `${SET_NOUNS[s.role]} are ${closenessWords(o.mean)} the reference music: on ${ids.length} features of metre, ` +
        `hands, motifs, key, leaps, range and texture they overlap the reference by ${formatNumber(o.mean, 2)} on average ` +
        `(1 = indistinguishable, 0 = nothing in common), least in ${least} (${formatNumber(o.min, 2)}).`,
    );
  }
  if (report.likelihood) out.push(likelihoodSentence(report.likelihood));
  return out;
}

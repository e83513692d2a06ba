/**
 * What the Evaluate screen plots from a report.json (`EvaluationReport`): per-measure overlap with
 * the corpus, mean histograms of each set, the distance densities of Yang & Lerch's comparison,
 * and a table of scalar means. Numbers the report wrote as null (NaN, infinities) become NaN.
 */
import type { EvaluationReport, SetReport } from '../../../../core/common/evaluate/report';

/** One measure's agreement with the reference. */
export interface OverlapRow {
  id: string;
  label: string;
  /** Overlap area 0..1 (1 = as close to the corpus as the corpus is to itself). */
  overlap: number;
  /** KL divergence in nats. */
  kl: number;
}

/** A histogram measure: bin labels and each set's mean. */
export interface HistogramView {
  title: string;
  bins: string[];
  series: Array<{ name: string; values: number[] }>;
}

/** The distance densities of one measure. */
export interface DensityView {
  title: string;
  x: number[];
  intraReference: number[];
  inter: number[];
}

/** A scalar measure's mean in the reference and the compared set. */
export interface ScalarRow {
  label: string;
  unit: string;
  reference: number;
  compared: number;
}

/** Everything the Evaluate screen draws. */
export interface ReportView {
  /** Which set is compared ('generated', 'refined'…), or null when the report has only the reference. */
  comparedRole: string | null;
  /** Every set the report compares with the reference (the screen offers a switch when there are two). */
  comparedRoles: string[];
  overlaps: OverlapRow[];
  histograms: HistogramView[];
  densities: DensityView[];
  scalars: ScalarRow[];
  warnings: string[];
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(num) : []);

/** The plots and tables of `report`, comparing its set `role` (default: the first compared) with the reference. */
export function reportView(report: EvaluationReport, role?: string): ReportView {
  const reference = report.sets.find((s) => s.role === 'reference');
  const comparedSets = report.sets.filter((s) => s.role !== 'reference' && s.comparison);
  const compared: SetReport | undefined = comparedSets.find((s) => s.role === role) ?? comparedSets[0];
  const labelOf = new Map<string, { label: string; unit: string }>();
  for (const m of [...report.measures.scalars, ...report.measures.vectors]) labelOf.set(m.id, { label: m.label, unit: m.unit });

  const overlaps: OverlapRow[] = (compared?.comparison ?? []).map((c) => ({
    id: c.id,
    label: labelOf.get(c.id)?.label ?? c.id,
    overlap: num(c.overlapArea),
    kl: num(c.klDivergence),
  }));
  const densities: DensityView[] = (compared?.comparison ?? []).map((c) => ({
    title: labelOf.get(c.id)?.label ?? c.id,
    x: nums(c.intraReference?.x),
    intraReference: nums(c.intraReference?.y),
    inter: nums(c.inter?.y),
  }));
  // The 144-bin transition matrix does not read as a bar chart; the two 12-bin histograms do.
  const histograms: HistogramView[] = report.measures.vectors
    .filter((v) => v.bins.length <= 24 && v.id !== 'pitchClassTransitions')
    .map((v) => ({
      title: v.label,
      bins: v.bins,
      series: [reference, compared]
        .filter((s): s is SetReport => s?.summary !== undefined)
        .map((s) => ({ name: s.role, values: nums(s.summary!.meanVectors[v.id]) })),
    }))
    .filter((h) => h.series.length > 0);
  const scalars: ScalarRow[] = report.measures.scalars.map((m) => ({
    label: m.label,
    unit: m.unit,
    reference: num(reference?.summary?.scalars[m.id]?.mean),
    compared: num(compared?.summary?.scalars[m.id]?.mean),
  }));
  return { comparedRole: compared?.role ?? null, comparedRoles: comparedSets.map((s) => s.role), overlaps, histograms, densities, scalars, warnings: report.warnings ?? [] };
}

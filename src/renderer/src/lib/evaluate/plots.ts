/**
 * Finds what to plot in an evaluation report without hard-coding its layout: numeric arrays become
 * series, and arrays of one length under one parent object share a chart (e.g. a pitch-class
 * histogram of the generated pieces beside the corpus's). Scalars become headline figures.
 */

/** One chart: a title and series of equal length. */
export interface PlotSpec {
  /** Where it came from, e.g. 'pitch.classHistogram'. */
  title: string;
  /** Series by name. */
  series: Array<{ name: string; values: number[] }>;
}

/** A scalar figure, e.g. 'pitch.entropy' = 3.1. */
export interface FigureSpec {
  name: string;
  value: number;
}

const MAX_DEPTH = 5;

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length >= 2 && v.length <= 2000 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Plots and scalar figures found in `report`. */
export function findPlots(report: unknown): { plots: PlotSpec[]; figures: FigureSpec[] } {
  const plots: PlotSpec[] = [];
  const figures: FigureSpec[] = [];
  const visit = (value: unknown, path: string[], depth: number) => {
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const groups = new Map<number, Array<{ name: string; values: number[] }>>();
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (isNumberArray(child)) {
        const list = groups.get(child.length) ?? [];
        list.push({ name: key, values: child });
        groups.set(child.length, list);
      } else if (typeof child === 'number' && Number.isFinite(child)) {
        figures.push({ name: [...path, key].join('.'), value: child });
      } else {
        visit(child, [...path, key], depth + 1);
      }
    }
    for (const series of groups.values()) {
      const title = series.length === 1 ? [...path, series[0]!.name].join('.') : path.join('.') || 'report';
      plots.push({ title, series });
    }
  };
  visit(report, [], 0);
  return { plots, figures };
}

/**
 * Reads training progress metrics into chart series and headline figures. Metric names vary a
 * little between engines (`loss` / `trainLoss`, `validationLoss` / `valLoss` / `validNll`), so each
 * figure accepts its known aliases.
 */

/** One metrics sample: the step it arrived at and the numbers. */
export interface Sample {
  done: number;
  metrics: Record<string, number>;
}

const ALIASES = {
  loss: ['loss', 'trainLoss', 'train_loss', 'trainNll'],
  validationLoss: ['validationLoss', 'valLoss', 'validLoss', 'val_loss', 'validNll'],
  targetsPerSecond: ['targetsPerSecond', 'targetsPerSec', 'tokensPerSecond', 'targets_per_s'],
  epoch: ['epoch'],
  learningRate: ['learningRate', 'lr'],
} as const;

/** A figure the Train screen shows. */
export type Figure = keyof typeof ALIASES;

/** The value of `figure` in `metrics`, under any of its names, or undefined. */
export function pick(metrics: Record<string, number> | undefined, figure: Figure): number | undefined {
  if (!metrics) return undefined;
  for (const name of ALIASES[figure]) {
    const v = metrics[name];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/**
 * x (global step) and y arrays of `figure` over the samples that report it. The step is the
 * `step` metric; samples without one (validation reports) sit at the last step seen, and `done`
 * stands in when no sample names a step.
 */
export function seriesOf(samples: readonly Sample[], figure: Figure): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  let step: number | undefined;
  for (const s of samples) {
    const named = s.metrics.step;
    if (typeof named === 'number' && Number.isFinite(named)) step = named;
    const v = pick(s.metrics, figure);
    if (v === undefined) continue;
    const x = step ?? s.done;
    // A repeated step (e.g. the validation report after the last step of an epoch) replaces the earlier point.
    if (xs.length > 0 && xs[xs.length - 1] === x) ys[ys.length - 1] = v;
    else {
      xs.push(x);
      ys.push(v);
    }
  }
  return { xs, ys };
}

/** The latest value of `figure` across the samples, or undefined. */
export function latest(samples: readonly Sample[], figure: Figure): number | undefined {
  for (let i = samples.length - 1; i >= 0; i--) {
    const v = pick(samples[i]!.metrics, figure);
    if (v !== undefined) return v;
  }
  return undefined;
}

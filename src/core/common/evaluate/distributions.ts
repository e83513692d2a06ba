/**
 * Comparing sets of pieces, after Yang & Lerch (2018) and their mgeval code: distances between
 * feature vectors within a set (intra-set) and across sets (inter-set), smoothed into densities by
 * a Gaussian kernel density estimate, then compared by overlap area and Kullback–Leibler divergence.
 * Also the summary statistics the report prints (percentiles, mean, spread).
 */

/** Euclidean distance between two equal-length vectors. */
export function euclidean(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** Intra-set distances: every unordered pair of distinct pieces, n(n−1)/2 values (vectors with NaN are skipped). */
export function intraSetDistances(vectors: readonly (readonly number[])[]): number[] {
  const ok = vectors.filter((v) => v.every(Number.isFinite));
  const out: number[] = [];
  for (let i = 0; i < ok.length; i++)
    for (let j = i + 1; j < ok.length; j++) out.push(euclidean(ok[i]!, ok[j]!));
  return out;
}

/** Inter-set distances: every piece of `a` against every piece of `b` (vectors with NaN are skipped). */
export function interSetDistances(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
): number[] {
  const okA = a.filter((v) => v.every(Number.isFinite));
  const okB = b.filter((v) => v.every(Number.isFinite));
  const out: number[] = [];
  for (const x of okA) for (const y of okB) out.push(euclidean(x, y));
  return out;
}

/** The p-th quantile (0..1) of `values` by linear interpolation between closest ranks (NaN for none). */
export function quantile(values: readonly number[], p: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = p * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(v.length - 1, lo + 1);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

/** Summary of one measure over a set of pieces. */
export interface Summary {
  /** Pieces with a finite value. */
  count: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  /** 5th percentile. */
  p5: number;
  /** Median. */
  p50: number;
  /** 95th percentile. */
  p95: number;
  max: number;
}

/** Mean, spread and percentiles of the finite values (NaN fields when there are none). */
export function summarize(values: readonly number[]): Summary {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / n) : NaN;
  return {
    count: n,
    mean,
    std,
    min: n ? Math.min(...v) : NaN,
    p5: quantile(v, 0.05),
    p50: quantile(v, 0.5),
    p95: quantile(v, 0.95),
    max: n ? Math.max(...v) : NaN,
  };
}

/** A density sampled on an even grid. */
export interface Density {
  /** Grid points, ascending, evenly spaced. */
  x: number[];
  /** Density at each point (integrates to about 1 over the grid). */
  y: number[];
}

/**
 * Gaussian kernel density estimate of `samples` on `x` (an even grid), with Scott's bandwidth
 * h = σ·n^(−1/5) as scipy's gaussian_kde. Samples are linearly binned onto the grid first, so the
 * cost is grid × kernel width, not grid × samples: distances between 291 pieces are 42,000 samples.
 */
export function kernelDensity(samples: readonly number[], x: readonly number[]): Density {
  const v = samples.filter(Number.isFinite);
  const y = new Array<number>(x.length).fill(0);
  if (v.length === 0 || x.length < 2) return { x: [...x], y };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
  const step = x[1]! - x[0]!;
  // A set whose distances are all equal has no spread: give it a kernel one grid step wide.
  const h = Math.max(sd * Math.pow(v.length, -0.2), step);
  const bins = new Float64Array(x.length);
  for (const s of v) {
    const pos = (s - x[0]!) / step;
    const i = Math.floor(pos);
    const f = pos - i;
    if (i >= 0 && i < x.length) bins[i]! += 1 - f;
    if (i + 1 >= 0 && i + 1 < x.length) bins[i + 1]! += f;
  }
  const radius = Math.ceil((4 * h) / step);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => {
    const d = (k - radius) * step;
    return Math.exp(-0.5 * (d / h) ** 2) / (h * Math.sqrt(2 * Math.PI));
  });
  // Distances cannot be negative: when the grid starts at 0, mass that would fall below it is
  // reflected back (the reflection method), so densities near 0 are not biased low.
  const reflect = x[0] === 0 && v.every((s) => s >= 0);
  for (let i = 0; i < x.length; i++) {
    const b = bins[i]!;
    if (b === 0) continue;
    for (let k = -radius; k <= radius; k++) {
      let j = i + k;
      if (j < 0 && reflect) j = -j;
      if (j >= 0 && j < x.length) y[j]! += (b * kernel[k + radius]!) / v.length;
    }
  }
  return { x: [...x], y };
}

/**
 * An even grid of `points` over the range of all the given samples, padded by 30% each side so
 * kernel tails stay on it (mgeval uses the bare range); it never starts below 0 for non-negative samples.
 */
export function gridOver(sampleSets: readonly (readonly number[])[], points = 256): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const set of sampleSets)
    for (const s of set)
      if (Number.isFinite(s)) {
        if (s < lo) lo = s;
        if (s > hi) hi = s;
      }
  if (!Number.isFinite(lo)) return [];
  const pad = hi > lo ? 0.3 * (hi - lo) : Math.max(1e-6, Math.abs(lo) * 0.1);
  lo = Math.max(lo >= 0 ? 0 : -Infinity, lo - pad);
  hi += pad;
  return Array.from({ length: points }, (_, i) => lo + ((hi - lo) * i) / (points - 1));
}

/** Overlap area of two densities on the same grid: ∫ min(p, q) dx by the trapezoid rule (0..1; 1 = identical). */
export function overlapArea(p: Density, q: Density): number {
  let area = 0;
  for (let i = 1; i < p.x.length; i++) {
    const dx = p.x[i]! - p.x[i - 1]!;
    area += (dx * (Math.min(p.y[i]!, q.y[i]!) + Math.min(p.y[i - 1]!, q.y[i - 1]!))) / 2;
  }
  return Math.min(1, area);
}

/**
 * KL(p‖q) in nats of two densities on the same grid, each normalised to sum to 1 over the grid
 * (as scipy.stats.entropy, which mgeval calls); a floor of 1e-10 keeps it finite where q is 0.
 */
export function klDivergence(p: Density, q: Density): number {
  const eps = 1e-10;
  const sp = p.y.reduce((a, b) => a + b, 0);
  const sq = q.y.reduce((a, b) => a + b, 0);
  if (sp <= 0 || sq <= 0) return NaN;
  let kl = 0;
  for (let i = 0; i < p.y.length; i++) {
    const a = p.y[i]! / sp;
    const b = Math.max(eps, q.y[i]! / sq);
    if (a > 0) kl += a * Math.log(a / b);
  }
  return Math.max(0, kl);
}

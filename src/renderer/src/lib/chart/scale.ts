/** Linear scales and "nice" axis ticks for the small SVG charts (loss curves, evaluation plots). */

/** A linear map from a data domain to a pixel range. */
export interface LinearScale {
  (value: number): number;
  /** The data domain [min, max]. */
  domain: readonly [number, number];
}

/** A scale mapping [d0, d1] onto [r0, r1]; a zero-width domain maps everything to the range's middle. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): LinearScale {
  const span = d1 - d0;
  const f = ((v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0))) as LinearScale;
  Object.defineProperty(f, 'domain', { value: [d0, d1] as const });
  return f;
}

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const [lo, hi] = min < max ? [min, max] : [max, min];
  const rough = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  // As d3's tickIncrement: round the rough step to the nearest of 1, 2, 5 or 10 times a power of ten.
  const error = rough / power;
  const step = power * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.SQRT2 ? 2 : 1);
  const ticks: number[] = [];
  // Rounding to the step's decimals avoids 0.30000000000000004 labels.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toFixed(decimals)));
  return ticks;
}

/** [min, max] of the finite values, padded by `padFraction` of the span; [0, 1] when there are none. */
export function extent(values: readonly number[], padFraction = 0.05): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return [0, 1];
  const pad = (max - min || Math.abs(max) || 1) * padFraction;
  return [min - pad, max + pad];
}

/** An SVG path `d` through the points, skipping non-finite values (the line breaks there). */
export function linePath(xs: readonly number[], ys: readonly number[]): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/**
 * Small inline-SVG charts for the evaluation report: line plots, histogram overlays, grouped
 * bars, heatmaps and range bars. Strings only, no DOM, so the same code runs in Node and in
 * the app; every chart has axes with ticks, labels and a legend, and scales with its container.
 */

/** One named, coloured series. */
export interface Series {
  label: string;
  color: string;
}

/** Escapes text for HTML and SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Formats a number for axes and tables: 3 significant digits, no exponent for ordinary sizes, '–' for undefined. */
export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('-', '−');
  if (Number.isInteger(v)) return String(v).replace('-', '−');
  const s = Number(v.toPrecision(digits)).toString();
  return s.replace('-', '−');
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => (hi - lo) / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const FRAME: Frame = { width: 360, height: 220, left: 46, right: 12, top: 30, bottom: 40 };

function axes(
  f: Frame,
  x: { lo: number; hi: number; label: string; ticks?: number[]; tickLabels?: string[] },
  y: { lo: number; hi: number; label: string },
  title: string,
): { sx: (v: number) => number; sy: (v: number) => number; svg: string } {
  const pw = f.width - f.left - f.right;
  const ph = f.height - f.top - f.bottom;
  const sx = (v: number): number => f.left + (x.hi > x.lo ? ((v - x.lo) / (x.hi - x.lo)) * pw : pw / 2);
  const sy = (v: number): number => f.top + ph - (y.hi > y.lo ? ((v - y.lo) / (y.hi - y.lo)) * ph : 0);
  const parts: string[] = [];
  parts.push(`<text x="${f.left}" y="16" class="t">${escapeHtml(title)}</text>`);
  const yt = niceTicks(y.lo, y.hi, 4);
  for (const t of yt) {
    const py = sy(t).toFixed(1);
    parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${py}" y2="${py}" class="g"/>`);
    parts.push(`<text x="${f.left - 5}" y="${py}" class="yt">${formatNumber(t)}</text>`);
  }
  const xt = x.ticks ?? niceTicks(x.lo, x.hi, 5);
  xt.forEach((t, i) => {
    const px = sx(t).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${f.top + ph}" y2="${f.top + ph + 4}" class="a"/>`);
    parts.push(
      `<text x="${px}" y="${f.top + ph + 15}" class="xt">${escapeHtml(x.tickLabels?.[i] ?? formatNumber(t))}</text>`,
    );
  });
  parts.push(
    `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.top + ph}" y2="${f.top + ph}" class="a"/>`,
  );
  parts.push(`<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.top + ph}" class="a"/>`);
  parts.push(`<text x="${f.left + pw / 2}" y="${f.height - 4}" class="xl">${escapeHtml(x.label)}</text>`);
  parts.push(
    `<text transform="translate(11 ${f.top + ph / 2}) rotate(-90)" class="xl">${escapeHtml(y.label)}</text>`,
  );
  return { sx, sy, svg: parts.join('') };
}

function legend(series: readonly Series[], f: Frame): string {
  let x = f.width - f.right;
  const items: string[] = [];
  for (const s of [...series].reverse()) {
    const w = 16 + s.label.length * 6.2;
    x -= w;
    items.push(
      `<rect x="${x.toFixed(1)}" y="21" width="10" height="10" rx="2" fill="${s.color}"/><text x="${(x + 13).toFixed(1)}" y="30" class="lg">${escapeHtml(s.label)}</text>`,
    );
    x -= 6;
  }
  return items.join('');
}

function svgOpen(f: Frame, extra = ''): string {
  return `<svg class="chart" viewBox="0 0 ${f.width} ${f.height}" role="img"${extra}>`;
}

/** Line plot of densities or curves sharing one x axis. */
export function linePlot(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly (Series & { x: readonly number[]; y: readonly number[]; dashed?: boolean })[];
}): string {
  const f = { ...FRAME, top: 40 };
  const xs = options.series.flatMap((s) => s.x).filter(Number.isFinite);
  const ys = options.series.flatMap((s) => s.y).filter(Number.isFinite);
  if (xs.length === 0) return '';
  const { sx, sy, svg } = axes(
    f,
    { lo: Math.min(...xs), hi: Math.max(...xs), label: options.xLabel },
    { lo: 0, hi: Math.max(1e-12, ...ys) * 1.05, label: options.yLabel },
    options.title,
  );
  const paths = options.series
    .filter((s) => s.x.length > 1 && s.y.some((v) => v > 0))
    .map((s) => {
      const d = s.x.map((xv, i) => `${i ? 'L' : 'M'}${sx(xv).toFixed(1)} ${sy(s.y[i]!).toFixed(1)}`).join('');
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
    });
  return `${svgOpen(f)}${svg}${paths.join('')}${legend(options.series, { ...f, top: 14 })}</svg>`;
}

/**
 * Overlaid histograms of per-piece values, each normalised to a share of its set, drawn as
 * translucent steps so overlaps stay visible.
 */
export function histogramOverlay(options: {
  title: string;
  xLabel: string;
  series: readonly (Series & { values: readonly number[] })[];
  bins?: number;
}): string {
  const f = { ...FRAME, top: 40 };
  const all = options.series.flatMap((s) => s.values).filter(Number.isFinite);
  if (all.length === 0) return `<div class="empty">${escapeHtml(options.title)}: no values</div>`;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const bins = options.bins ?? 20;
  const width = (hi - lo) / bins;
  const shares = options.series.map((s) => {
    const v = s.values.filter(Number.isFinite);
    const h = new Array<number>(bins).fill(0);
    for (const x of v) h[Math.min(bins - 1, Math.floor((x - lo) / width))]!++;
    return v.length ? h.map((c) => c / v.length) : h;
  });
  const { sx, sy, svg } = axes(
    f,
    { lo, hi, label: options.xLabel },
    { lo: 0, hi: Math.max(0.01, ...shares.flat()) * 1.08, label: 'share of pieces' },
    options.title,
  );
  const shapes = options.series.map((s, k) => {
    const h = shares[k]!;
    let d = `M${sx(lo).toFixed(1)} ${sy(0).toFixed(1)}`;
    h.forEach((c, i) => {
      d += `L${sx(lo + i * width).toFixed(1)} ${sy(c).toFixed(1)}L${sx(lo + (i + 1) * width).toFixed(1)} ${sy(c).toFixed(1)}`;
    });
    d += `L${sx(hi).toFixed(1)} ${sy(0).toFixed(1)}Z`;
    return `<path d="${d}" fill="${s.color}" fill-opacity="0.28" stroke="${s.color}" stroke-width="1.5"/>`;
  });
  return `${svgOpen(f)}${svg}${shapes.join('')}${legend(options.series, { ...f, top: 14 })}</svg>`;
}

/** Grouped bars: one group per category, one bar per series. */
export function groupedBars(options: {
  title: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly (Series & { values: readonly number[] })[];
}): string {
  const f = { ...FRAME, width: 560, top: 40 };
  const n = options.categories.length;
  const ys = options.series.flatMap((s) => s.values).filter(Number.isFinite);
  const { sx, sy, svg } = axes(
    f,
    {
      lo: -0.5,
      hi: n - 0.5,
      label: '',
      ticks: options.categories.map((_, i) => i),
      tickLabels: [...options.categories],
    },
    { lo: 0, hi: Math.max(1e-9, ...ys) * 1.08, label: options.yLabel },
    options.title,
  );
  const groupWidth = (sx(1) - sx(0)) * 0.8;
  const barWidth = groupWidth / Math.max(1, options.series.length);
  const bars = options.series.flatMap((s, k) =>
    s.values.map((v, i) => {
      const x = sx(i) - groupWidth / 2 + k * barWidth;
      const y = sy(Math.max(0, v));
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${(sy(0) - y).toFixed(1)}" fill="${s.color}"><title>${escapeHtml(`${s.label} ${options.categories[i]}: ${formatNumber(v)}`)}</title></rect>`;
    }),
  );
  return `${svgOpen(f)}${svg}${bars.join('')}${legend(options.series, { ...f, top: 14 })}</svg>`;
}

/** A square heatmap (e.g. the 12×12 pitch-class transition matrix), row-major values, white to `color`. */
export function heatmap(options: {
  title: string;
  labels: readonly string[];
  values: readonly number[];
  color: string;
  max: number;
  rowLabel: string;
  columnLabel: string;
}): string {
  const n = options.labels.length;
  const cell = 20;
  const left = 44;
  const top = 30;
  const size = n * cell;
  const width = left + size + 10;
  const height = top + size + 34;
  const [r, g, b] = hexToRgb(options.color);
  const parts: string[] = [`<text x="${left}" y="16" class="t">${escapeHtml(options.title)}</text>`];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const v = options.values[i * n + j] ?? 0;
      const a = options.max > 0 ? Math.min(1, Math.sqrt(v / options.max)) : 0;
      const mix = (c: number): number => Math.round(255 + (c - 255) * a);
      parts.push(
        `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="rgb(${mix(r)},${mix(g)},${mix(b)})"><title>${escapeHtml(`${options.labels[i]} → ${options.labels[j]}: ${formatNumber(v)}`)}</title></rect>`,
      );
    }
  options.labels.forEach((l, i) => {
    parts.push(`<text x="${left - 5}" y="${top + i * cell + cell / 2}" class="yt">${escapeHtml(l)}</text>`);
    parts.push(
      `<text x="${left + i * cell + cell / 2}" y="${top + size + 13}" class="xt">${escapeHtml(l)}</text>`,
    );
  });
  parts.push(
    `<text x="${left + size / 2}" y="${height - 4}" class="xl">${escapeHtml(options.columnLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(11 ${top + size / 2}) rotate(-90)" class="xl">${escapeHtml(options.rowLabel)}</text>`,
  );
  return `<svg class="chart heat" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
}

/**
 * A one-line range bar: the reference's 5th–95th percentile band and median on a shared scale,
 * with one dot per value of the compared set (hover shows the piece).
 */
export function rangeBar(options: {
  lo: number;
  hi: number;
  p5: number;
  p50: number;
  p95: number;
  points: readonly { value: number; color: string; label: string }[];
}): string {
  const w = 220;
  const h = 22;
  const pad = 6;
  const lo = options.lo;
  const hi = options.hi > options.lo ? options.hi : options.lo + 1;
  const sx = (v: number): number => pad + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (w - 2 * pad);
  const parts = [
    `<line x1="${pad}" x2="${w - pad}" y1="${h / 2}" y2="${h / 2}" class="a"/>`,
    Number.isFinite(options.p5) && Number.isFinite(options.p95)
      ? `<rect x="${sx(options.p5).toFixed(1)}" y="${h / 2 - 5}" width="${Math.max(1, sx(options.p95) - sx(options.p5)).toFixed(1)}" height="10" rx="3" class="band"/>`
      : '',
    Number.isFinite(options.p50)
      ? `<line x1="${sx(options.p50).toFixed(1)}" x2="${sx(options.p50).toFixed(1)}" y1="${h / 2 - 7}" y2="${h / 2 + 7}" class="med"/>`
      : '',
    ...options.points
      .filter((p) => Number.isFinite(p.value))
      .map(
        (p) =>
          `<circle cx="${sx(p.value).toFixed(1)}" cy="${h / 2}" r="3.2" fill="${p.color}" fill-opacity="0.8"><title>${escapeHtml(`${p.label}: ${formatNumber(p.value)}`)}</title></circle>`,
      ),
  ];
  return `<svg class="range" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${parts.join('')}</svg>`;
}

function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)] : [0, 0, 0];
}

/** The stylesheet the charts need (class names above), for embedding in the page. */
export const CHART_CSS = `
svg.chart{width:100%;height:auto;max-width:560px;font-size:10px;overflow:visible}
svg.chart .t{font-size:12px;font-weight:600;fill:#1f2937}
svg.chart .g{stroke:#e5e7eb;stroke-width:1}
svg .a{stroke:#9ca3af;stroke-width:1}
svg.chart .yt{text-anchor:end;dominant-baseline:middle;fill:#4b5563}
svg.chart .xt{text-anchor:middle;fill:#4b5563}
svg.chart .xl{text-anchor:middle;fill:#374151;font-size:10.5px}
svg.chart .lg{fill:#374151;font-size:10.5px}
svg.heat{max-width:300px}
svg.range .band{fill:#cbd5e1}
svg.range .med{stroke:#334155;stroke-width:2}
`;

/**
 * report.html: the evaluation report as one self-contained page (inline CSS and SVG, no scripts,
 * no external fonts or images), readable offline and embeddable by the app. Drawn only from the
 * `EvaluationReport`, so the page and report.json never disagree.
 */
import type { MeasureComparison } from './compare';
import type { Summary } from './distributions';
import type { MeasureInfo, ScalarMeasureId } from './measures';
import type { EvaluationReport, SetReport, SetRole } from './report';
import { AUDIO_MEASURES } from './report';
import {
  CHART_CSS,
  escapeHtml,
  formatNumber,
  groupedBars,
  heatmap,
  histogramOverlay,
  linePlot,
  rangeBar,
} from './svg';

/** The colour of each set in every chart. */
export const SET_COLORS: Record<SetRole, string> = {
  reference: '#4c78a8',
  generated: '#f58518',
  refined: '#54a24b',
  audio: '#b279a2',
};

const SET_LABELS: Record<SetRole, string> = {
  reference: 'Reference',
  generated: 'Generated',
  refined: 'Refined',
  audio: 'Audio',
};

const CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f8fafc;color:#111827;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 28px 60px}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:19px;margin:36px 0 6px;padding-bottom:6px;border-bottom:1px solid #e5e7eb}
h3{font-size:15px;margin:18px 0 8px}
p.lead{color:#4b5563;margin:0 0 18px}
p.note{color:#6b7280;font-size:12.5px;margin:6px 0 12px;max-width:900px}
.verdict{font-size:1.05em;border-left:4px solid #4a7;padding:4px 12px;margin:12px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:12px 14px}
.card .k{font-size:12px;color:#6b7280;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:22px;font-weight:600;margin-top:2px}
.card .s{font-size:12px;color:#6b7280}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e5e7eb;border-radius:10px;overflow:hidden;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid #f1f5f9;text-align:left;vertical-align:middle}
th{background:#f1f5f9;font-weight:600;color:#374151;font-size:12px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.out{color:#b91c1c;font-weight:600}
td.warn{color:#b45309;font-weight:600}
td:first-child{white-space:nowrap}
table.compact{font-size:12px}
table.compact th,table.compact td{padding:5px 6px}
table.compact th{font-size:11px}
table.compact th.n{white-space:normal;min-width:64px}
td.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:14px}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
.panel{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:10px 12px}
.scroll{max-height:520px;overflow:auto;border-radius:10px}
.warnings{background:#fffbeb;border:1px solid #fde68a;border-radius:10px;padding:8px 14px;color:#78350f;font-size:13px}
.muted{color:#6b7280}
dl.defs{display:grid;grid-template-columns:220px 1fr;gap:4px 14px;font-size:13px}
dl.defs dt{font-weight:600}
dl.defs dd{margin:0;color:#374151}
footer{margin-top:40px;color:#6b7280;font-size:12px}
${CHART_CSS}`;

const fmt = (v: number | null | undefined, unit = ''): string => {
  const s = formatNumber(v);
  return unit && s !== '–' ? `${s}\u2009${escapeHtml(unit)}` : s;
};

function swatch(role: SetRole): string {
  return `<span class="swatch" style="background:${SET_COLORS[role]}"></span>`;
}

function inputsTable(report: EvaluationReport): string {
  const rows = report.sets.map((s) => {
    const midi = s.pieces.filter((p) => p.measures).length;
    const audio = s.pieces.filter((p) => p.audio).length;
    const failed = s.pieces.filter((p) => p.error).length;
    return `<tr><td>${swatch(s.role)}${SET_LABELS[s.role]}</td><td class="path">${escapeHtml(s.path)}</td><td>${escapeHtml(s.source)}</td><td class="n">${midi}</td><td class="n">${audio}</td><td class="n${failed ? ' warn' : ''}">${failed}</td></tr>`;
  });
  return `<table><thead><tr><th>Set</th><th>Path</th><th>Read as</th><th class="n">MIDI pieces</th><th class="n">Audio files</th><th class="n">Unreadable</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function cards(report: EvaluationReport): string {
  const out: string[] = [];
  const ref = report.sets[0]!;
  for (const s of report.sets.slice(1)) {
    if (s.comparison?.length) {
      const oa = s.comparison.map((c) => c.overlapArea).filter(Number.isFinite);
      const mean = oa.length ? oa.reduce((a, b) => a + b, 0) / oa.length : NaN;
      out.push(
        `<div class="card"><div class="k">${swatch(s.role)}${SET_LABELS[s.role]} · mean overlap</div><div class="v">${formatNumber(mean)}</div><div class="s">intra-reference vs inter-set distances over ${oa.length} measures (1 = indistinguishable)</div></div>`,
      );
    }
    if (s.copiedSummary?.count) {
      out.push(
        `<div class="card"><div class="k">${swatch(s.role)}${SET_LABELS[s.role]} · longest copy</div><div class="v">${formatNumber(s.copiedSummary.max)} events</div><div class="s">median ${formatNumber(s.copiedSummary.p50)}; reference pieces among themselves: median ${formatNumber(ref.copiedSummary?.p50)}, 95th pct ${formatNumber(ref.copiedSummary?.p95)}</div></div>`,
      );
    }
    if (s.audioSummary?.integratedLufs?.count) {
      const a = s.audioSummary;
      out.push(
        `<div class="card"><div class="k">${swatch(s.role)}${SET_LABELS[s.role]} · loudness</div><div class="v">${fmt(a.integratedLufs!.p50, 'LUFS')}</div><div class="s">median of ${a.integratedLufs!.count} files; true peak max ${fmt(a.truePeakDbtp?.max, 'dBTP')}; clipped samples max ${formatNumber(a.clippedSamples?.max)}</div></div>`,
      );
    }
  }
  if (report.likelihood) {
    const l = report.likelihood;
    out.push(
      `<div class="card"><div class="k">Model · held-out NLL</div><div class="v">${formatNumber(l.modelNll, 3)}</div><div class="s">${l.ngramOrder}-gram ${formatNumber(l.ngramNll, 3)}, unigram ${formatNumber(l.unigramNll, 3)} nats/token on ${l.targets} tokens of ${l.pieces} held-out piece${l.pieces === 1 ? '' : 's'}</div></div>`,
    );
  }
  return out.length ? `<div class="cards">${out.join('')}</div>` : '';
}

function likelihoodSection(report: EvaluationReport): string {
  const l = report.likelihood;
  if (!l) return '';
  const row = (name: string, nll: number): string =>
    `<tr><td>${name}</td><td class="n">${l.targets}</td><td class="n">${formatNumber(nll, 4)}</td><td class="n">${formatNumber(nll / Math.LN2, 4)}</td><td class="n">${formatNumber(Math.exp(nll), 4)}</td><td class="n">${formatNumber(nll / l.ngramNll, 3)}</td></tr>`;
  const source =
    l.trainingSource === 'trainingPieces'
      ? 'the training pieces its config.json lists'
      : 'the pieces of --ngram-train';
  return `<h2>Held-out likelihood</h2>
<p class="note">Model <span class="path">${escapeHtml(l.modelPath)}</span> (${escapeHtml(l.format)}, ${escapeHtml(l.tokenizer)} tokens) scored on ${l.pieces} reference piece${l.pieces === 1 ? '' : 's'} it was not trained on, tokenized with its own tokenizer and vocabulary (${l.unknownTokens} unknown token${l.unknownTokens === 1 ? '' : 's'}). The baselines were trained on ${l.trainingPieces} pieces (${l.trainingTokens} tokens): ${source}. All three are scored on the same targets${l.firstTarget ? `, each after the model's first ${l.firstTarget} tokens of context` : ''}${l.capped ? ' (each piece cut to the same share of its targets by --max-targets)' : ''}. Lower is better.</p>
<table><thead><tr><th></th><th class="n">Targets</th><th class="n">NLL (nats/token)</th><th class="n">bits/token</th><th class="n">Perplexity</th><th class="n">× n-gram</th></tr></thead><tbody>${row('Model', l.modelNll)}${l.modelWithoutMemoryNll !== undefined ? row('Model without its piece memory', l.modelWithoutMemoryNll) : ''}${row(`Kneser-Ney ${l.ngramOrder}-gram`, l.ngramNll)}${row('Unigram (add-one)', l.unigramNll)}</tbody></table>`;
}

function summaryOf(s: SetReport, id: ScalarMeasureId): Summary | undefined {
  return s.summary?.scalars[id];
}

/** The main tables: each measure with the reference's range beside one compared set's values (one table per set, so any number of sets fits the page). */
function measuresTable(report: EvaluationReport): string {
  const ref = report.sets[0]!;
  const compared = report.sets.slice(1).filter((s) => s.summary);
  const tables = compared.map((s) => {
    const rows = report.measures.scalars.map((m) => {
      const r = summaryOf(ref, m.id);
      const g = summaryOf(s, m.id);
      const c = s.comparison?.find((x) => x.id === m.id);
      const values = s.pieces.map((p) => ({ value: p.measures?.scalars[m.id] ?? NaN, label: p.name }));
      // The scale spans the reference's band with half its width either side (within its min and max), and every dot.
      const spread = r ? r.p95 - r.p5 : NaN;
      const finite = [
        ...values.map((v) => v.value),
        r ? Math.max(r.min, r.p5 - 0.5 * spread) : NaN,
        r ? Math.min(r.max, r.p95 + 0.5 * spread) : NaN,
      ].filter(Number.isFinite);
      const outside = g && r && Number.isFinite(g.mean) && (g.mean < r.p5 || g.mean > r.p95);
      const bar =
        r && finite.length
          ? rangeBar({
              lo: Math.min(...finite),
              hi: Math.max(...finite),
              p5: r.p5,
              p50: r.p50,
              p95: r.p95,
              points: values.map((v) => ({ ...v, color: SET_COLORS[s.role] })),
            })
          : '';
      return `<tr><td title="${escapeHtml(m.description)}">${escapeHtml(m.label)}${m.unit ? ` <span class="muted">(${escapeHtml(m.unit)})</span>` : ''}</td><td class="n">${fmt(r?.p50)}</td><td class="n muted">${formatNumber(r?.p5)} – ${formatNumber(r?.p95)}</td><td class="n${outside ? ' out' : ''}">${fmt(g?.mean)}</td><td>${bar}</td><td class="n">${formatNumber(c?.overlapArea)}</td><td class="n">${formatNumber(c?.klDivergence)}</td></tr>`;
    });
    const title =
      compared.length > 1 ? `<h3>${swatch(s.role)}${SET_LABELS[s.role]} against the reference</h3>` : '';
    return `${title}<table><thead><tr><th>Measure</th><th class="n">${swatch('reference')}Reference median</th><th class="n">5th–95th pct</th><th class="n">${swatch(s.role)}${SET_LABELS[s.role]} mean</th><th>Pieces vs reference range</th><th class="n">OA</th><th class="n">KL</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  });
  return `${tables.join('')}
<p class="note">Bars: the reference's 5th–95th percentile (grey band) and median (dark tick); dots: each compared piece. A mean outside the reference's band is shown in red. OA = overlap area and KL = Kullback–Leibler divergence (nats) between the reference's intra-set distance density and the inter-set distance density (Yang &amp; Lerch 2018): OA near 1 and KL near 0 mean the set sits among the reference pieces as they sit among themselves.</p>`;
}

/** Measures shown per piece, each beside the reference's 5th–95th percentile. */
const PER_PIECE_MEASURES: readonly ScalarMeasureId[] = [
  'noteCount',
  'pitchRange',
  'averagePitchInterval',
  'pitchEntropy',
  'scaleConsistency',
  'polyphony',
  'averageInterOnsetSeconds',
  'grooveConsistency',
  'emptyBeatRate',
  'tempoConsistency',
  'longestRepeatedRun',
];

/** One row per compared piece, values outside the reference's 5th–95th percentile in red. */
function perPieceTable(report: EvaluationReport): string {
  const ref = report.sets[0]!;
  const infos = PER_PIECE_MEASURES.map((id) => report.measures.scalars.find((m) => m.id === id)!).filter(
    Boolean,
  );
  const rows: string[] = [];
  for (const s of report.sets.slice(1))
    for (const p of s.pieces) {
      if (!p.measures) continue;
      const cells = infos.map((m) => {
        const v = p.measures!.scalars[m.id];
        const r = summaryOf(ref, m.id);
        const out = r && Number.isFinite(v) && (v < r.p5 || v > r.p95);
        return `<td class="n${out ? ' out' : ''}">${formatNumber(v)}</td>`;
      });
      rows.push(`<tr><td>${swatch(s.role)}${escapeHtml(p.name)}</td>${cells.join('')}</tr>`);
    }
  if (!rows.length) return '';
  const head = infos
    .map(
      (m) =>
        `<th class="n" title="${escapeHtml(m.description)}">${escapeHtml(m.label)}${m.unit ? `<br><span class="muted">${escapeHtml(m.unit)}</span>` : ''}</th>`,
    )
    .join('');
  const range = infos
    .map((m) => {
      const r = summaryOf(ref, m.id);
      return `<td class="n muted">${formatNumber(r?.p5)} – ${formatNumber(r?.p95)}</td>`;
    })
    .join('');
  return `<h3>Per piece</h3><div class="scroll"><table class="compact"><thead><tr><th>Piece</th>${head}</tr></thead><tbody><tr><td class="muted">${swatch('reference')}Reference 5th–95th pct</td>${range}</tr>${rows.join('')}</tbody></table></div>`;
}

function distributionGrid(
  report: EvaluationReport,
  measures: readonly MeasureInfo<ScalarMeasureId>[],
): string {
  const plots = measures.map((m) =>
    histogramOverlay({
      title: m.label,
      xLabel: m.unit ? `${m.label} (${m.unit})` : m.label,
      series: report.sets
        .filter((s) => s.summary)
        .map((s) => ({
          label: SET_LABELS[s.role],
          color: SET_COLORS[s.role],
          values: s.pieces.map((p) => p.measures?.scalars[m.id] ?? NaN),
        })),
    }),
  );
  return `<div class="grid">${plots.map((p) => `<div class="panel">${p}</div>`).join('')}</div>`;
}

function histogramsSection(report: EvaluationReport): string {
  const withMusic = report.sets.filter((s) => s.summary);
  const parts: string[] = [];
  for (const v of report.measures.vectors) {
    if (v.id === 'pitchClassTransitions') continue;
    parts.push(
      `<div class="panel">${groupedBars({
        title: `${v.label} (mean over pieces)`,
        yLabel: 'share of notes',
        categories: v.bins,
        series: withMusic.map((s) => ({
          label: SET_LABELS[s.role],
          color: SET_COLORS[s.role],
          values: s.summary!.meanVectors[v.id],
        })),
      })}</div>`,
    );
  }
  const pctm = report.measures.vectors.find((v) => v.id === 'pitchClassTransitions');
  let heat = '';
  if (pctm) {
    const max = Math.max(...withMusic.flatMap((s) => s.summary!.meanVectors.pitchClassTransitions));
    heat = `<h3>Pitch-class transitions (mean over pieces; rows: from, columns: to)</h3><div class="grid2">${withMusic
      .map(
        (s) =>
          `<div class="panel">${heatmap({
            title: SET_LABELS[s.role],
            labels: pctm.bins,
            values: s.summary!.meanVectors.pitchClassTransitions,
            color: SET_COLORS[s.role],
            max,
            rowLabel: 'from',
            columnLabel: 'to',
          })}</div>`,
      )
      .join('')}</div><p class="note">Shade ∝ √share, on one scale for all sets.</p>`;
  }
  return `<div class="grid2" style="grid-template-columns:repeat(auto-fill,minmax(520px,1fr))">${parts.join('')}</div>${heat}`;
}

function distanceSection(report: EvaluationReport): string {
  const out: string[] = [];
  for (const s of report.sets.slice(1)) {
    if (!s.comparison?.length) continue;
    const measured = s.pieces.filter((p) => p.measures).length;
    const label = (c: MeasureComparison): string =>
      report.measures.scalars.find((m) => m.id === c.id)?.label ??
      report.measures.vectors.find((m) => m.id === c.id)?.label ??
      c.id;
    const plots = s.comparison.map((c) =>
      linePlot({
        title: `${label(c)} · OA ${formatNumber(c.overlapArea)} · KL ${formatNumber(c.klDivergence)}`,
        xLabel: 'distance between pieces',
        yLabel: 'density',
        series: [
          {
            label: 'intra reference',
            color: SET_COLORS.reference,
            x: c.intraReference.x,
            y: c.intraReference.y,
          },
          { label: `intra ${s.role}`, color: SET_COLORS[s.role], x: c.intraSet.x, y: c.intraSet.y },
          { label: 'inter', color: '#374151', x: c.inter.x, y: c.inter.y, dashed: true },
          // With fewer than 3 pieces there are at most 1 or 2 intra-set distances: a spike that would flatten the other curves.
        ].filter((series) => series.label !== `intra ${s.role}` || measured >= 3),
      }),
    );
    out.push(
      `<h3>${swatch(s.role)}${SET_LABELS[s.role]} against the reference</h3><div class="grid">${plots.map((p) => `<div class="panel">${p}</div>`).join('')}</div>`,
    );
  }
  return out.length
    ? `<h2>Intra-set and inter-set distances</h2><p class="note">Kernel density estimates of the distances between pieces for each measure (Euclidean distance of the feature: a number, or a histogram as a vector). When the generated set resembles the reference, the dashed inter-set curve lies on the reference's intra-set curve.</p>${out.join('')}`
    : '';
}

function repetitionSection(report: EvaluationReport): string {
  const ref = report.sets[0]!;
  const rows: string[] = [];
  for (const s of report.sets.slice(1)) {
    for (const p of s.pieces) {
      if (!p.measures) continue;
      const c = p.copied;
      const run = p.measures.scalars.longestRepeatedRun;
      const refRun = ref.summary?.scalars.longestRepeatedRun;
      const copyHigh = c && ref.copiedSummary && c.events > ref.copiedSummary.p95;
      rows.push(
        `<tr><td>${swatch(s.role)}${escapeHtml(p.name)}</td><td class="n">${p.measures.scalars.noteCount}</td><td class="n${refRun && run > refRun.p95 ? ' out' : ''}">${run}</td><td class="n">${formatNumber(p.measures.scalars.distinct4)}</td><td class="n">${formatNumber(p.measures.scalars.distinct8)}</td><td class="n${copyHigh ? ' out' : ''}">${c ? c.events : '–'}</td><td class="n">${c ? `${formatNumber(100 * c.share)}%` : '–'}</td><td>${c?.referenceName ? escapeHtml(c.referenceName) : '<span class="muted">–</span>'}</td></tr>`,
      );
    }
  }
  if (!rows.length) return '';
  const r = ref.summary?.scalars;
  const rc = ref.copiedSummary;
  return `<h2>Repetition and memorization</h2>
<p class="note">Events are onsets (a note or a chord, by pitch). The copied span is the longest run of events found verbatim in one reference piece (the piece itself excluded${ref.source === 'processed-data' ? '; training split only' : ''}). For scale, reference pieces against the other reference pieces: copied span median ${formatNumber(rc?.p50)}, 95th percentile ${formatNumber(rc?.p95)} events; longest repeated run median ${formatNumber(r?.longestRepeatedRun.p50)}, 95th percentile ${formatNumber(r?.longestRepeatedRun.p95)}. Values beyond the reference's 95th percentile are red.</p>
<div class="scroll"><table><thead><tr><th>Piece</th><th class="n">Notes</th><th class="n">Longest repeated run</th><th class="n">Distinct 4-grams</th><th class="n">Distinct 8-grams</th><th class="n">Longest copied span</th><th class="n">Share of piece</th><th>Copied from</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function audioSection(report: EvaluationReport): string {
  const sets = report.sets.filter((s) => s.pieces.some((p) => p.audio));
  if (!sets.length) return '';
  const rows: string[] = [];
  for (const s of sets)
    for (const p of s.pieces) {
      const a = p.audio;
      if (!a) continue;
      rows.push(
        `<tr><td>${swatch(s.role)}${escapeHtml(p.name)}</td><td class="n">${fmt(a.durationSeconds, 's')}</td><td class="n">${fmt(a.integratedLufs)}</td><td class="n">${fmt(a.loudnessRangeLu)}</td><td class="n${a.truePeakDbtp > -1 ? ' warn' : ''}">${fmt(a.truePeakDbtp)}</td><td class="n">${fmt(a.samplePeakDbfs)}</td><td class="n${a.clippedSamples > 0 ? ' out' : ''}">${a.clippedSamples}</td><td class="n">${fmt(a.snrDb)}${a.noiseFloorIsQuantization ? ' <span class="muted">(q)</span>' : ''}</td><td class="n">${fmt(a.noiseFloorDbfs)}</td><td class="n">${formatNumber(a.tempoConsistency)}</td><td class="n">${formatNumber(a.medianBpm)}</td></tr>`,
      );
    }
  const plots = ['integratedLufs', 'truePeakDbtp', 'snrDb', 'tempoConsistency'].map((id) => {
    const m = AUDIO_MEASURES.find((x) => x.id === id)!;
    return `<div class="panel">${histogramOverlay({
      title: m.label,
      xLabel: m.unit ? `${m.label} (${m.unit})` : m.label,
      bins: 12,
      series: sets.map((s) => ({
        label: SET_LABELS[s.role],
        color: SET_COLORS[s.role],
        values: s.pieces.map((p) => (p.audio ? (p.audio[m.id] as number) : NaN)),
      })),
    })}</div>`;
  });
  return `<h2>Audio</h2>
<p class="note">Integrated loudness and loudness range after ITU-R BS.1770-4 / EBU R128 (LUFS, LU); true peak by 4× oversampling (dBTP; above −1 dBTP in amber); clipped samples at or beyond full scale (red when any). SNR: signal power over the noise floor of the quietest 10% of 50 ms blocks; “(q)” marks a floor at the file format's quantization noise because those blocks were digital silence. Tempo from spectral-flux onsets.</p>
<div class="scroll"><table><thead><tr><th>File</th><th class="n">Duration</th><th class="n">LUFS</th><th class="n">LRA (LU)</th><th class="n">True peak (dBTP)</th><th class="n">Sample peak (dBFS)</th><th class="n">Clipped</th><th class="n">SNR (dB)</th><th class="n">Floor (dBFS)</th><th class="n">Tempo consistency</th><th class="n">Tempo (BPM)</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>
<div class="grid" style="margin-top:14px">${plots.join('')}</div>`;
}

function definitions(report: EvaluationReport): string {
  const items = [...report.measures.scalars, ...report.measures.vectors]
    .map(
      (m) =>
        `<dt>${escapeHtml(m.label)}${m.unit ? ` <span class="muted">(${escapeHtml(m.unit)})</span>` : ''}</dt><dd>${escapeHtml(m.description)}</dd>`,
    )
    .join('');
  return `<h2>Definitions</h2><p class="note">Formulas, units and references for every measure are in docs/METRICS.md of the Cadenza repository.</p><dl class="defs">${items}</dl>`;
}

/** One line naming what was measured: the reference's size and each other set. */
function lead(report: EvaluationReport): string {
  const [ref, ...others] = report.sets;
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts = [`reference: ${count(ref?.pieces.filter((p) => p.measures).length ?? 0, 'piece')}`];
  for (const s of others) {
    const midi = s.pieces.filter((p) => p.measures).length;
    const audio = s.pieces.filter((p) => p.audio).length;
    const what = [midi ? count(midi, 'MIDI piece') : '', audio ? count(audio, 'audio file') : ''].filter(
      Boolean,
    );
    parts.push(`${SET_LABELS[s.role].toLowerCase()}: ${what.join(' and ') || 'nothing readable'}`);
  }
  return escapeHtml(parts.join(' · '));
}

/** The report as a complete HTML document. */
export function renderReportHtml(report: EvaluationReport): string {
  const musicSets = report.sets.filter((s) => s.summary);
  const groups: [string, MeasureInfo<ScalarMeasureId>['group'][]][] = [
    ['Pitch', ['pitch']],
    ['Rhythm and tempo', ['rhythm', 'tempo']],
    ['Repetition', ['repetition']],
    ['Expression', ['expression']],
    ['Size', ['size']],
  ];
  const distributions = groups
    .map(([title, gs]) => {
      const ms = report.measures.scalars.filter((m) => gs.includes(m.group));
      return `<h3>${title}</h3>${distributionGrid(report, ms)}`;
    })
    .join('');
  const warnings = report.warnings.length
    ? `<div class="warnings"><strong>${report.warnings.length} warning${report.warnings.length > 1 ? 's' : ''}</strong><ul>${report.warnings
        .slice(0, 50)
        .map((w) => `<li>${escapeHtml(w)}</li>`)
        .join(
          '',
        )}${report.warnings.length > 50 ? `<li>… and ${report.warnings.length - 50} more in report.json</li>` : ''}</ul></div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Cadenza evaluation report</title><style>${CSS}</style></head>
<body><main>
<h1>Cadenza evaluation report</h1>
<p class="lead">${escapeHtml(new Date(report.createdAt).toUTCString())} · ${lead(report)} · ${formatNumber(report.totalSeconds)} s</p>
${report.verdict?.length ? `<div class="verdict">${report.verdict.map((v) => `<p>${escapeHtml(v)}</p>`).join('')}</div>` : ''}
${warnings}
${cards(report)}
<h2>Inputs</h2>
${inputsTable(report)}
${likelihoodSection(report)}
${musicSets.length ? `<h2>Music measures</h2>${measuresTable(report)}${perPieceTable(report)}` : ''}
${musicSets.length ? `<h2>Distributions over pieces</h2><p class="note">Each set's per-piece values as a histogram normalised to its number of pieces.</p>${distributions}` : ''}
${musicSets.length ? `<h2>Pitch, note-length and transition histograms</h2>${histogramsSection(report)}` : ''}
${distanceSection(report)}
${repetitionSection(report)}
${audioSection(report)}
${definitions(report)}
<footer>Written by <code>cadenza evaluate</code>; the same numbers are in report.json (format ${escapeHtml(report.format)} v${report.version}).</footer>
</main></body></html>
`;
}

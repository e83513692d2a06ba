import { describe, expect, it } from 'vitest';
import { escapeHtml, formatNumber, heatmap, histogramOverlay, niceTicks, rangeBar } from './svg';

describe('formatting', () => {
  it('escapes markup and formats numbers for tables', () => {
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
    expect(formatNumber(NaN)).toBe('–');
    expect(formatNumber(-Infinity)).toBe('−∞');
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(-23.04)).toBe('−23');
    expect(formatNumber(1778)).toBe('1778');
    expect(formatNumber(1.5e-7)).toBe('1.5e−7');
  });

  it('chooses round ticks that cover the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-36, -23, 4)).toEqual([-35, -30, -25]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });
});

describe('charts', () => {
  it('draws one bar path per series with a legend, and says so when there are no values', () => {
    const svg = histogramOverlay({
      title: 'Pitch range',
      xLabel: 'semitones',
      series: [
        { label: 'Reference', color: '#4c78a8', values: [40, 50, 60] },
        { label: 'Generated', color: '#f58518', values: [55] },
      ],
    });
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('>Generated<');
    expect(
      histogramOverlay({
        title: 'x',
        xLabel: 'x',
        series: [{ label: 'a', color: '#000000', values: [NaN] }],
      }),
    ).toContain('no values');
  });

  it('shades a heatmap cell per value and puts the band and median of a range bar on its scale', () => {
    const h = heatmap({
      title: 't',
      labels: ['A', 'B'],
      values: [1, 0, 0, 0.25],
      color: '#ff0000',
      max: 1,
      rowLabel: 'from',
      columnLabel: 'to',
    });
    expect(h.match(/<rect /g)).toHaveLength(4);
    expect(h).toContain('fill="rgb(255,0,0)"');
    expect(h).toContain('fill="rgb(255,128,128)"');
    const r = rangeBar({
      lo: 0,
      hi: 10,
      p5: 2,
      p50: 5,
      p95: 8,
      points: [{ value: 10, color: '#000000', label: 'x' }],
    });
    // 6 px padding on a 220 px bar: 2 → 47.6, 5 → 110, 8 → 172.4, 10 → 214.
    expect(r).toContain('x="47.6"');
    expect(r).toContain('x1="110.0"');
    expect(r).toContain('cx="214.0"');
  });
});

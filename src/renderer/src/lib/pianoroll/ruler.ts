/** Bar and beat positions for the ruler and grid, honouring time-signature changes. */
import type { TimeSignatureEvent } from '../../../../core/common/song/song';
import type { Ticks } from '../../../../core/common/units';

/** One line of the ruler or grid. */
export interface RulerMark {
  /** Where it sits, in ticks. */
  ticks: Ticks;
  /** The bar number, counting from 1. */
  bar: number;
  /** True on a bar line, false on a beat inside a bar. */
  isBar: boolean;
  /** True when the ruler should print the bar number here (thinned out when bars are dense). */
  labelled: boolean;
}

/**
 * The bar and beat lines inside [startTicks, endTicks). Beats are left out when they would be closer
 * than `minSpacingPx` pixels, and bar labels are thinned to every 2nd, 4th, 8th… bar likewise.
 */
export function rulerMarks(
  timeSignatures: readonly TimeSignatureEvent[],
  ppq: number,
  startTicks: Ticks,
  endTicks: Ticks,
  pixelsPerTick: number,
  minSpacingPx = 8,
): RulerMark[] {
  const sigs = timeSignatures.length > 0 ? [...timeSignatures].sort((a, b) => a.ticks - b.ticks) : [{ ticks: 0, numerator: 4, denominator: 4 }];
  if (sigs[0]!.ticks > 0) sigs.unshift({ ticks: 0, numerator: 4, denominator: 4 });
  const marks: RulerMark[] = [];
  let bar = 1;
  for (let s = 0; s < sigs.length; s++) {
    const sig = sigs[s]!;
    const beatTicks = (ppq * 4) / sig.denominator;
    const barTicks = beatTicks * sig.numerator;
    const segEnd = s + 1 < sigs.length ? sigs[s + 1]!.ticks : Infinity;
    const showBeats = beatTicks * pixelsPerTick >= minSpacingPx;
    // Label every 2^k-th bar so that labels are at least ~5 spacings apart.
    let labelEvery = 1;
    while (barTicks * labelEvery * pixelsPerTick < minSpacingPx * 5 && labelEvery < 1 << 20) labelEvery *= 2;
    const drawEvery = barTicks * pixelsPerTick >= minSpacingPx ? 1 : labelEvery;
    // Skip whole bars before the window without walking them one by one.
    const firstBarInSeg = Math.max(0, Math.floor((startTicks - sig.ticks) / barTicks));
    const segBars = segEnd === Infinity ? Infinity : Math.ceil((segEnd - sig.ticks) / barTicks);
    for (let b = firstBarInSeg; b < segBars; b++) {
      const barStart = sig.ticks + b * barTicks;
      if (barStart >= endTicks || barStart >= segEnd) break;
      const barNumber = bar + b;
      if ((barNumber - 1) % drawEvery === 0 && barStart >= startTicks) {
        marks.push({ ticks: barStart, bar: barNumber, isBar: true, labelled: (barNumber - 1) % labelEvery === 0 });
      }
      if (!showBeats) continue;
      for (let k = 1; k < sig.numerator; k++) {
        const t = barStart + k * beatTicks;
        if (t >= segEnd || t >= endTicks) break;
        if (t >= startTicks) marks.push({ ticks: t, bar: barNumber, isBar: false, labelled: false });
      }
    }
    if (segEnd === Infinity) break;
    bar += segBars;
  }
  return marks;
}

/** Bar (from 1) and beat (from 1, fractional) at `ticks`, honouring time-signature changes. */
export function barBeatAt(timeSignatures: readonly TimeSignatureEvent[], ppq: number, ticks: Ticks): { bar: number; beat: number } {
  const sigs = timeSignatures.length > 0 ? [...timeSignatures].sort((a, b) => a.ticks - b.ticks) : [{ ticks: 0, numerator: 4, denominator: 4 }];
  if (sigs[0]!.ticks > 0) sigs.unshift({ ticks: 0, numerator: 4, denominator: 4 });
  let bar = 1;
  for (let s = 0; s < sigs.length; s++) {
    const sig = sigs[s]!;
    const beatTicks = (ppq * 4) / sig.denominator;
    const barTicks = beatTicks * sig.numerator;
    const next = sigs[s + 1];
    if (next === undefined || ticks < next.ticks) {
      const into = Math.max(0, ticks - sig.ticks);
      const bars = Math.floor(into / barTicks);
      return { bar: bar + bars, beat: 1 + (into - bars * barTicks) / beatTicks };
    }
    bar += Math.ceil((next.ticks - sig.ticks) / barTicks);
  }
  return { bar, beat: 1 };
}

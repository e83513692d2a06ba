/**
 * Canvas drawing for the piano roll: grid, notes, keyboard, ruler and velocity lane. Each function
 * draws one layer for one view and reads nothing but its arguments, so gestures and state stay
 * elsewhere. Only visible notes are walked (see `NoteIndex.forEachVisible`).
 */
import { isBlackKey, noteName } from './noteNames';
import type { NoteIndex } from './noteIndex';
import type { RulerMark } from './ruler';
import type { KeyTransform, TickTransform } from './transforms';
import { velocityColor } from './velocityColor';

/** Colours the drawing needs, read from the theme's CSS variables. */
export interface RollPalette {
  dark: boolean;
  background: string;
  blackRow: string;
  gridBar: string;
  gridBeat: string;
  gridOctave: string;
  text: string;
  textMuted: string;
  keyWhite: string;
  keyBlack: string;
  keyBorder: string;
  keyText: string;
  keyTextMuted: string;
  rulerBackground: string;
  laneBackground: string;
  noteBorder: string;
  highlight: string;
}

/** A rectangle in CSS pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Row shading and the bar/beat grid of the note area. */
export function drawGrid(
  ctx: CanvasRenderingContext2D,
  area: Rect,
  ticks: TickTransform,
  keys: KeyTransform,
  marks: readonly RulerMark[],
  palette: RollPalette,
): void {
  ctx.fillStyle = palette.background;
  ctx.fillRect(area.x, area.y, area.width, area.height);
  const { lowest, highest } = keys.visiblePitches(area.height);
  for (let p = lowest; p <= highest; p++) {
    const y = area.y + keys.toY(p);
    if (isBlackKey(p)) {
      ctx.fillStyle = palette.blackRow;
      ctx.fillRect(area.x, y, area.width, keys.pixelsPerKey);
    }
    // A stronger line under each C helps the eye find octaves.
    if (p % 12 === 0) {
      ctx.fillStyle = palette.gridOctave;
      ctx.fillRect(area.x, y + keys.pixelsPerKey - 1, area.width, 1);
    }
  }
  for (const m of marks) {
    const x = Math.round(area.x + ticks.toX(m.ticks));
    if (x < area.x || x > area.x + area.width) continue;
    ctx.fillStyle = m.isBar ? palette.gridBar : palette.gridBeat;
    ctx.fillRect(x, area.y, 1, area.height);
  }
}

/** Rectangles grouped by colour bucket, in reusable growable buffers (x, y, width per rect). */
class RectBuckets {
  readonly data: Float32Array[] = [];
  readonly counts = new Int32Array(16);

  clear(): void {
    this.counts.fill(0);
  }

  add(bucket: number, x: number, y: number, width: number): void {
    let buf = this.data[bucket];
    const n = this.counts[bucket]!;
    if (!buf || buf.length < (n + 1) * 3) {
      const bigger = new Float32Array(Math.max(96, (n + 1) * 6));
      if (buf) bigger.set(buf);
      this.data[bucket] = buf = bigger;
    }
    buf[n * 3] = x;
    buf[n * 3 + 1] = y;
    buf[n * 3 + 2] = width;
    this.counts[bucket] = n + 1;
  }
}

const buckets = new RectBuckets();
const runStart = new Float64Array(128);
const runEnd = new Float64Array(128);
const runBucket = new Int8Array(128).fill(-1);
const runVelocitySum = new Float64Array(128);
const runCount = new Int32Array(128);

/**
 * The notes as bars coloured by velocity (16 colour buckets, one fill per bucket); `selected` (an
 * index or -1) gets an outline. When zoomed out so far that a quarter note is under 12 pixels, notes
 * of one pitch that touch or overlap are merged into one bar (coloured by their mean velocity), which keeps
 * 100,000-note overviews fast and looks the same. Answers how many notes were visible.
 */
export function drawNotes(
  ctx: CanvasRenderingContext2D,
  area: Rect,
  ticks: TickTransform,
  keys: KeyTransform,
  index: NoteIndex,
  selected: number,
  palette: RollPalette,
  ppq = 480,
): number {
  const { startTicks, endTicks } = ticks.visibleTicks(area.width);
  const { lowest, highest } = keys.visiblePitches(area.height);
  const h = Math.max(1, keys.pixelsPerKey - 1);
  const merge = ticks.pixelsPerTick * ppq < 12;
  const left = area.x - 4;
  const right = area.x + area.width + 4;
  let visible = 0;
  buckets.clear();
  runBucket.fill(-1);
  const flush = (p: number) => {
    if (runBucket[p]! < 0) return;
    const b = Math.round(runVelocitySum[p]! / runCount[p]!) >> 3;
    buckets.add(b, runStart[p]!, area.y + keys.toY(p), Math.max(1.5, runEnd[p]! - runStart[p]! - (merge ? 0 : 0.5)));
    runBucket[p] = -1;
  };
  // The hot loop of the roll: inlined over the typed arrays rather than a callback per note.
  const { from, to } = index.candidates(startTicks, endTicks);
  const starts = index.startTicks;
  const ends = index.endTicks;
  const pitches = index.pitches;
  const velocities = index.velocities;
  const ppt = ticks.pixelsPerTick;
  const originX = area.x - ticks.scrollTicks * ppt;
  for (let i = from; i < to; i++) {
    const end = ends[i]!;
    if (end <= startTicks) continue;
    const p = pitches[i]!;
    if (p < lowest || p > highest) continue;
    visible++;
    const velocity = velocities[i]!;
    const x0 = Math.max(left, originX + starts[i]! * ppt);
    const x1 = Math.min(right, originX + end * ppt);
    if (merge && runBucket[p]! >= 0 && x0 <= runEnd[p]! + 0.5) {
      if (x1 > runEnd[p]!) runEnd[p] = x1;
      runVelocitySum[p] = runVelocitySum[p]! + velocity;
      runCount[p] = runCount[p]! + 1;
      continue;
    }
    flush(p);
    runStart[p] = x0;
    runEnd[p] = x1;
    runBucket[p] = velocity >> 3;
    runVelocitySum[p] = velocity;
    runCount[p] = 1;
  }
  for (let p = lowest; p <= highest; p++) flush(p);
  const radius = Math.min(3, h / 3);
  let total = 0;
  for (let b = 0; b < 16; b++) total += buckets.counts[b]!;
  // Rounded corners only while they are few enough to be cheap and large enough to see.
  const roundOk = total < 1500 && h > 4;
  for (let b = 0; b < 16; b++) {
    const n = buckets.counts[b]!;
    if (n === 0) continue;
    const buf = buckets.data[b]!;
    ctx.fillStyle = velocityColor(b * 8 + 4, palette.dark);
    // Small bars are plain fillRects: one path with thousands of sub-paths rasterises far slower.
    let rounded = false;
    for (let k = 0; k < n; k++) {
      const w = buf[k * 3 + 2]!;
      if (roundOk && w > 4) {
        if (!rounded) ctx.beginPath();
        rounded = true;
        ctx.roundRect(buf[k * 3]!, buf[k * 3 + 1]!, w, h, radius);
      } else ctx.fillRect(buf[k * 3]!, buf[k * 3 + 1]!, w, h);
    }
    if (rounded) ctx.fill();
  }
  if (selected >= 0 && selected < index.length) {
    const x0 = area.x + ticks.toX(index.startTicks[selected]!);
    const x1 = area.x + ticks.toX(index.endTicks[selected]!);
    ctx.strokeStyle = palette.highlight;
    ctx.lineWidth = 2;
    ctx.strokeRect(x0, area.y + keys.toY(index.pitches[selected]!), Math.max(2, x1 - x0), h);
  }
  return visible;
}

/** The keyboard at the left, with the C of each octave (and every key, when rows are tall) named. */
export function drawKeyboard(ctx: CanvasRenderingContext2D, area: Rect, keys: KeyTransform, palette: RollPalette): void {
  ctx.fillStyle = palette.keyWhite;
  ctx.fillRect(area.x, area.y, area.width, area.height);
  const { lowest, highest } = keys.visiblePitches(area.height);
  const blackWidth = area.width * 0.6;
  ctx.font = `${Math.min(11, Math.max(8, keys.pixelsPerKey - 2))}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  const nameAll = keys.pixelsPerKey >= 14;
  for (let p = lowest; p <= highest; p++) {
    const y = area.y + keys.toY(p);
    ctx.fillStyle = palette.keyBorder;
    ctx.fillRect(area.x, y + keys.pixelsPerKey - 0.5, area.width, 0.5);
    if (isBlackKey(p)) {
      ctx.fillStyle = palette.keyBlack;
      ctx.fillRect(area.x, y, blackWidth, keys.pixelsPerKey);
    }
    // With tall rows every white key is named; black keys stay unnamed (their labels would sit on black).
    if ((p % 12 === 0 || (nameAll && !isBlackKey(p))) && keys.pixelsPerKey >= 7) {
      ctx.fillStyle = p % 12 === 0 ? palette.keyText : palette.keyTextMuted;
      ctx.textAlign = 'right';
      ctx.fillText(noteName(p), area.x + area.width - 4, y + keys.pixelsPerKey / 2 + 0.5);
    }
  }
  ctx.fillStyle = palette.keyBorder;
  ctx.fillRect(area.x + area.width - 1, area.y, 1, area.height);
}

/** The ruler with bar numbers and beat ticks. */
export function drawRuler(
  ctx: CanvasRenderingContext2D,
  area: Rect,
  ticks: TickTransform,
  marks: readonly RulerMark[],
  palette: RollPalette,
): void {
  ctx.fillStyle = palette.rulerBackground;
  ctx.fillRect(area.x, area.y, area.width, area.height);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  for (const m of marks) {
    const x = Math.round(area.x + ticks.toX(m.ticks));
    if (x < area.x || x > area.x + area.width) continue;
    ctx.fillStyle = m.isBar ? palette.textMuted : palette.gridBar;
    const tickHeight = m.isBar ? area.height * 0.45 : area.height * 0.2;
    ctx.fillRect(x, area.y + area.height - tickHeight, 1, tickHeight);
    if (m.labelled) {
      ctx.fillStyle = palette.text;
      ctx.fillText(String(m.bar), x + 4, area.y + area.height * 0.4);
    }
  }
  ctx.fillStyle = palette.keyBorder;
  ctx.fillRect(area.x, area.y + area.height - 1, area.width, 1);
}

/** The velocity lane: one stem per visible note, its height proportional to velocity. */
export function drawVelocityLane(
  ctx: CanvasRenderingContext2D,
  area: Rect,
  ticks: TickTransform,
  index: NoteIndex,
  palette: RollPalette,
): void {
  ctx.fillStyle = palette.laneBackground;
  ctx.fillRect(area.x, area.y, area.width, area.height);
  ctx.fillStyle = palette.keyBorder;
  ctx.fillRect(area.x, area.y, area.width, 1);
  const { startTicks, endTicks } = ticks.visibleTicks(area.width);
  const usable = area.height - 8;
  // Stems that share a pixel column overdraw each other; only the loudest per column matters visually.
  const columns = new Uint8Array(Math.ceil(area.width) + 1);
  // Only onsets inside the view make stems, so the candidates start at startTicks, not before.
  const from = index.lowerBound(startTicks);
  const to = index.lowerBound(endTicks);
  const ppt = ticks.pixelsPerTick;
  for (let i = from; i < to; i++) {
    const x = Math.floor((index.startTicks[i]! - ticks.scrollTicks) * ppt);
    if (x >= 0 && x < columns.length && index.velocities[i]! > columns[x]!) columns[x] = index.velocities[i]!;
  }
  for (let x = 0; x < columns.length; x++) {
    const v = columns[x]!;
    if (v === 0) continue;
    const h = (v / 127) * usable;
    ctx.fillStyle = velocityColor(v, palette.dark);
    ctx.fillRect(area.x + x, area.y + area.height - h - 2, 2, h);
    ctx.fillRect(area.x + x - 1, area.y + area.height - h - 3, 4, 2);
  }
}

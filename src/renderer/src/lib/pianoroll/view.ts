/** The piano roll's view state (zoom and scroll on both axes) and its limits. */
import type { Ticks } from '../../../../core/common/units';
import { clamp } from './zoom';

/** Zoom and scroll of the piano roll. */
export interface RollView {
  /** Horizontal zoom, pixels per tick. */
  pixelsPerTick: number;
  /** The tick at the left edge of the note area. */
  scrollTicks: Ticks;
  /** Vertical zoom, pixels per key row. */
  pixelsPerKey: number;
  /** Pixels scrolled down from the top of pitch 127's row. */
  scrollPx: number;
}

/** The size of the note area and the song's length: what clamping needs. */
export interface RollBounds {
  /** Width of the note area in CSS pixels. */
  widthPx: number;
  /** Height of the note area in CSS pixels. */
  heightPx: number;
  /** The song's last release in ticks. */
  lengthTicks: Ticks;
}

/** Smallest and largest horizontal zoom, pixels per tick. */
export const PIXELS_PER_TICK_RANGE = { min: 0.0005, max: 4 } as const;
/** Smallest and largest key row height, pixels. */
export const PIXELS_PER_KEY_RANGE = { min: 3, max: 32 } as const;

/** `view` with zoom and scroll clamped so the view stays on the song and inside the MIDI range. */
export function clampView(view: RollView, bounds: RollBounds): RollView {
  const pixelsPerTick = clamp(view.pixelsPerTick, PIXELS_PER_TICK_RANGE.min, PIXELS_PER_TICK_RANGE.max);
  const pixelsPerKey = clamp(view.pixelsPerKey, PIXELS_PER_KEY_RANGE.min, PIXELS_PER_KEY_RANGE.max);
  const viewTicks = bounds.widthPx / pixelsPerTick;
  // Allow scrolling until the last note sits in the middle of the view, never past it.
  const maxScrollTicks = Math.max(0, bounds.lengthTicks - viewTicks * 0.5);
  const maxScrollPx = Math.max(0, 128 * pixelsPerKey - bounds.heightPx);
  return {
    pixelsPerTick,
    pixelsPerKey,
    scrollTicks: clamp(view.scrollTicks, 0, maxScrollTicks),
    scrollPx: clamp(view.scrollPx, 0, maxScrollPx),
  };
}

/** The vertical scroll that centres the pitch range [lowest, highest] in a view `heightPx` tall. */
export function centrePitches(lowest: number, highest: number, pixelsPerKey: number, heightPx: number): number {
  const middle = (lowest + highest + 1) / 2;
  return (127 + 1 - middle) * pixelsPerKey - heightPx / 2;
}

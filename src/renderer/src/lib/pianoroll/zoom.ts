/** Zoom and scroll arithmetic for the piano roll, kept pure so it can be tested. */
import type { Ticks } from '../../../../core/common/units';

/** Horizontal view state: zoom and the tick at the left edge. */
export interface HorizontalView {
  /** Pixels per tick. */
  pixelsPerTick: number;
  /** The tick at x = 0. */
  scrollTicks: Ticks;
}

/** Clamps `value` into [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Zooms by `factor` (> 1 zooms in) around x pixel `anchorX`, so the tick under the pointer stays put;
 * the zoom is clamped to [minPixelsPerTick, maxPixelsPerTick] and the scroll never goes below 0.
 */
export function zoomAround(
  view: HorizontalView,
  factor: number,
  anchorX: number,
  minPixelsPerTick: number,
  maxPixelsPerTick: number,
): HorizontalView {
  const pixelsPerTick = clamp(view.pixelsPerTick * factor, minPixelsPerTick, maxPixelsPerTick);
  const anchorTicks = view.scrollTicks + anchorX / view.pixelsPerTick;
  return { pixelsPerTick, scrollTicks: Math.max(0, anchorTicks - anchorX / pixelsPerTick) };
}

/**
 * The scroll that keeps a playback cursor in view: unchanged while the cursor is inside the view,
 * otherwise a page turn that puts the cursor a tenth of the way in (as DAWs do while playing).
 */
export function followCursor(cursorTicks: Ticks, scrollTicks: Ticks, viewTicks: Ticks): Ticks {
  if (cursorTicks >= scrollTicks && cursorTicks < scrollTicks + viewTicks) return scrollTicks;
  return Math.max(0, cursorTicks - viewTicks * 0.1);
}

/** The zoom that fits `lengthTicks` into `widthPx` pixels (with a little margin), clamped. */
export function fitZoom(lengthTicks: Ticks, widthPx: number, minPixelsPerTick: number, maxPixelsPerTick: number): number {
  if (lengthTicks <= 0 || widthPx <= 0) return clamp(0.1, minPixelsPerTick, maxPixelsPerTick);
  return clamp((widthPx * 0.97) / lengthTicks, minPixelsPerTick, maxPixelsPerTick);
}

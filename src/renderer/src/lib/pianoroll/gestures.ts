/** Wheel and drag gestures of the piano roll, as pure functions from a view to the next view. */
import type { RollBounds, RollView } from './view';
import { clampView } from './view';
import { zoomAround } from './zoom';
import { PIXELS_PER_TICK_RANGE } from './view';

/** The parts of a WheelEvent a gesture reads (deltas in pixels). */
export interface WheelInput {
  deltaX: number;
  deltaY: number;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  /** Pointer x within the note area, CSS pixels. */
  offsetX: number;
  /** Pointer y within the note area, CSS pixels. */
  offsetY: number;
}

/**
 * The view after one wheel step: Ctrl/Cmd zooms time around the pointer (with Alt: zooms keys),
 * Shift scrolls time, otherwise the wheel scrolls keys and a trackpad's sideways swipe scrolls time.
 */
export function wheelGesture(view: RollView, input: WheelInput, bounds: RollBounds): RollView {
  if (input.ctrlKey || input.metaKey) {
    const factor = Math.exp(-input.deltaY * 0.002);
    if (input.altKey) {
      const pixelsPerKey = view.pixelsPerKey * factor;
      // Keep the pitch under the pointer where it is.
      const anchorRows = (input.offsetY + view.scrollPx) / view.pixelsPerKey;
      return clampView({ ...view, pixelsPerKey, scrollPx: anchorRows * pixelsPerKey - input.offsetY }, bounds);
    }
    const h = zoomAround(view, factor, input.offsetX, PIXELS_PER_TICK_RANGE.min, PIXELS_PER_TICK_RANGE.max);
    return clampView({ ...view, ...h }, bounds);
  }
  if (input.shiftKey) {
    const delta = input.deltaY !== 0 ? input.deltaY : input.deltaX;
    return clampView({ ...view, scrollTicks: view.scrollTicks + delta / view.pixelsPerTick }, bounds);
  }
  return clampView(
    { ...view, scrollTicks: view.scrollTicks + input.deltaX / view.pixelsPerTick, scrollPx: view.scrollPx + input.deltaY },
    bounds,
  );
}

/** The view while dragging the background: content follows the pointer by (`dxPx`, `dyPx`) from `start`. */
export function panGesture(start: RollView, dxPx: number, dyPx: number, bounds: RollBounds): RollView {
  return clampView({ ...start, scrollTicks: start.scrollTicks - dxPx / start.pixelsPerTick, scrollPx: start.scrollPx - dyPx }, bounds);
}

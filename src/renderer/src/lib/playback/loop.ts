/** The transport's loop region: where playback wraps, and how dragging makes and moves it. */
import type { Seconds } from '../../../../core/common/units';

/** A loop region, start before end, in seconds of the loaded piece. */
export interface LoopRegion {
  startSeconds: Seconds;
  endSeconds: Seconds;
}

/** The shortest loop a drag makes, in seconds (a shorter drag is a click: no loop). */
export const MIN_LOOP_SECONDS = 0.25;

/** Where playback goes on from `positionSeconds`: the loop's start once it reaches the loop's end, else null (carry on). */
export function loopWrap(positionSeconds: Seconds, loop: LoopRegion | null): Seconds | null {
  return loop && positionSeconds >= loop.endSeconds ? loop.startSeconds : null;
}

/** Where Play starts from: the position, or the loop's start when the position is at or past the loop's end. */
export function playFrom(positionSeconds: Seconds, loop: LoopRegion | null): Seconds {
  return loopWrap(positionSeconds, loop) ?? positionSeconds;
}

/** The region between two dragged points in either order, within 0..`lengthSeconds`; null when it is shorter than `MIN_LOOP_SECONDS`. */
export function loopFromDrag(a: Seconds, b: Seconds, lengthSeconds: Seconds): LoopRegion | null {
  const start = Math.max(0, Math.min(a, b));
  const end = Math.min(lengthSeconds, Math.max(a, b));
  return end - start >= MIN_LOOP_SECONDS ? { startSeconds: start, endSeconds: end } : null;
}

/** The loop with one edge dragged to `seconds`, within 0..`lengthSeconds` and never closer to the other edge than `MIN_LOOP_SECONDS`. */
export function moveLoopEdge(
  loop: LoopRegion,
  edge: 'start' | 'end',
  seconds: Seconds,
  lengthSeconds: Seconds,
): LoopRegion {
  if (edge === 'start')
    return { ...loop, startSeconds: Math.max(0, Math.min(seconds, loop.endSeconds - MIN_LOOP_SECONDS)) };
  return {
    ...loop,
    endSeconds: Math.min(lengthSeconds, Math.max(seconds, loop.startSeconds + MIN_LOOP_SECONDS)),
  };
}

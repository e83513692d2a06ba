import { describe, expect, it } from 'vitest';
import { loopFromDrag, loopWrap, moveLoopEdge, playFrom, MIN_LOOP_SECONDS } from './loop';

describe('the loop region', () => {
  const loop = { startSeconds: 2, endSeconds: 6 };

  it('wraps to its start once playback reaches its end, and lets playback run without one', () => {
    expect(loopWrap(5.99, loop)).toBeNull();
    expect(loopWrap(6, loop)).toBe(2);
    expect(loopWrap(7.5, loop)).toBe(2);
    expect(loopWrap(1, loop)).toBeNull();
    expect(loopWrap(100, null)).toBeNull();
    expect(playFrom(8, loop)).toBe(2);
    expect(playFrom(3, loop)).toBe(3);
    expect(playFrom(8, null)).toBe(8);
  });

  it('is made by a drag either way within the piece, and a click makes none', () => {
    expect(loopFromDrag(6, 2, 10)).toEqual(loop);
    expect(loopFromDrag(-1, 12, 10)).toEqual({ startSeconds: 0, endSeconds: 10 });
    expect(loopFromDrag(3, 3 + MIN_LOOP_SECONDS / 2, 10)).toBeNull();
  });

  it('moves one edge by its handle, never past the other edge nor out of the piece', () => {
    expect(moveLoopEdge(loop, 'start', 1, 10)).toEqual({ startSeconds: 1, endSeconds: 6 });
    expect(moveLoopEdge(loop, 'start', 9, 10)).toEqual({ startSeconds: 6 - MIN_LOOP_SECONDS, endSeconds: 6 });
    expect(moveLoopEdge(loop, 'start', -3, 10).startSeconds).toBe(0);
    expect(moveLoopEdge(loop, 'end', 0, 10)).toEqual({ startSeconds: 2, endSeconds: 2 + MIN_LOOP_SECONDS });
    expect(moveLoopEdge(loop, 'end', 40, 10).endSeconds).toBe(10);
  });
});

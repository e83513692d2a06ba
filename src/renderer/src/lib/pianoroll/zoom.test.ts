import { describe, expect, it } from 'vitest';
import { fitZoom, followCursor, zoomAround } from './zoom';

describe('zoomAround', () => {
  it('keeps the tick under the anchor fixed', () => {
    const before = { pixelsPerTick: 0.1, scrollTicks: 1000 };
    const after = zoomAround(before, 2, 300, 0.001, 10);
    expect(after.pixelsPerTick).toBe(0.2);
    const tickBefore = before.scrollTicks + 300 / before.pixelsPerTick;
    const tickAfter = after.scrollTicks + 300 / after.pixelsPerTick;
    expect(tickAfter).toBeCloseTo(tickBefore, 9);
  });

  it('clamps the zoom and never scrolls before tick 0', () => {
    expect(zoomAround({ pixelsPerTick: 5, scrollTicks: 0 }, 4, 0, 0.01, 8).pixelsPerTick).toBe(8);
    const out = zoomAround({ pixelsPerTick: 0.1, scrollTicks: 10 }, 0.5, 500, 0.01, 8);
    expect(out.pixelsPerTick).toBe(0.05);
    expect(out.scrollTicks).toBe(0);
  });
});

describe('followCursor', () => {
  it('leaves the scroll alone while the cursor is in view and turns the page when it leaves', () => {
    expect(followCursor(500, 0, 1000)).toBe(0);
    expect(followCursor(1000, 0, 1000)).toBe(900);
    expect(followCursor(50, 400, 1000)).toBe(0);
  });
});

describe('fitZoom', () => {
  it('fits the song into the width with a small margin', () => {
    expect(fitZoom(10_000, 1000, 0.001, 10)).toBeCloseTo(0.097, 9);
    expect(fitZoom(0, 1000, 0.001, 10)).toBe(0.1);
  });
});

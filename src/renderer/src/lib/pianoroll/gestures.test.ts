import { describe, expect, it } from 'vitest';
import { panGesture, wheelGesture, type WheelInput } from './gestures';
import { centrePitches, clampView, type RollView } from './view';

const bounds = { widthPx: 1000, heightPx: 400, lengthTicks: 100_000 };
const view: RollView = { pixelsPerTick: 0.1, scrollTicks: 5000, pixelsPerKey: 10, scrollPx: 300 };
const wheel = (over: Partial<WheelInput>): WheelInput => ({
  deltaX: 0,
  deltaY: 0,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  offsetX: 0,
  offsetY: 0,
  ...over,
});

describe('wheelGesture', () => {
  it('scrolls keys with the plain wheel and time with a sideways swipe', () => {
    expect(wheelGesture(view, wheel({ deltaY: 50 }), bounds)).toEqual({ ...view, scrollPx: 350 });
    expect(wheelGesture(view, wheel({ deltaX: 100 }), bounds).scrollTicks).toBe(6000);
  });

  it('scrolls time with Shift', () => {
    expect(wheelGesture(view, wheel({ deltaY: 20, shiftKey: true }), bounds).scrollTicks).toBe(5200);
  });

  it('zooms time around the pointer with Ctrl or Cmd', () => {
    for (const mod of [{ ctrlKey: true }, { metaKey: true }]) {
      const out = wheelGesture(view, wheel({ deltaY: -100, offsetX: 400, ...mod }), bounds);
      expect(out.pixelsPerTick).toBeGreaterThan(view.pixelsPerTick);
      expect(out.scrollTicks + 400 / out.pixelsPerTick).toBeCloseTo(view.scrollTicks + 400 / view.pixelsPerTick, 6);
      expect(out.pixelsPerKey).toBe(view.pixelsPerKey);
    }
  });

  it('zooms keys around the pointer with Ctrl+Alt', () => {
    const out = wheelGesture(view, wheel({ deltaY: -200, offsetY: 100, ctrlKey: true, altKey: true }), bounds);
    expect(out.pixelsPerKey).toBeGreaterThan(10);
    expect((100 + out.scrollPx) / out.pixelsPerKey).toBeCloseTo((100 + view.scrollPx) / view.pixelsPerKey, 6);
  });
});

describe('clampView', () => {
  it('keeps scroll inside the song and the key range', () => {
    const out = clampView({ pixelsPerTick: 0.1, scrollTicks: -5, pixelsPerKey: 10, scrollPx: 99_999 }, bounds);
    expect(out.scrollTicks).toBe(0);
    expect(out.scrollPx).toBe(1280 - 400);
    const far = clampView({ ...view, scrollTicks: 1e9 }, bounds);
    expect(far.scrollTicks).toBe(100_000 - 5000);
  });
});

describe('panGesture', () => {
  it('moves content with the pointer', () => {
    const out = panGesture(view, 100, -20, bounds);
    expect(out.scrollTicks).toBe(4000);
    expect(out.scrollPx).toBe(320);
  });
});

describe('centrePitches', () => {
  it('puts the middle of a pitch range in the middle of the view', () => {
    const scrollPx = centrePitches(48, 72, 10, 400);
    // Pitch 60's row middle is at (127-60)*10 + 5 - scroll.
    expect((127 - 60) * 10 + 5 - scrollPx).toBeCloseTo(200, 6);
  });
});

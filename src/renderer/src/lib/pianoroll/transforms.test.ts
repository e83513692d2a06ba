import { describe, expect, it } from 'vitest';
import { KeyTransform, TickTransform } from './transforms';

describe('TickTransform', () => {
  it('maps ticks to x and back through zoom and scroll', () => {
    const t = new TickTransform(0.25, 960);
    expect(t.toX(960)).toBe(0);
    expect(t.toX(1960)).toBe(250);
    expect(t.toTicks(250)).toBe(1960);
    expect(t.toTicks(t.toX(1234.5))).toBeCloseTo(1234.5, 9);
  });

  it('reports the visible tick window', () => {
    expect(new TickTransform(0.5, 100).visibleTicks(400)).toEqual({ startTicks: 100, endTicks: 900 });
  });
});

describe('KeyTransform', () => {
  it('puts higher pitches higher and rows pixelsPerKey tall', () => {
    const k = new KeyTransform(10, 0);
    expect(k.toY(127)).toBe(0);
    expect(k.toY(126)).toBe(10);
    expect(k.toY(60)).toBe(670);
  });

  it('finds the pitch under a y pixel, including row edges', () => {
    const k = new KeyTransform(10, 35);
    // y + scroll = 35 -> row 3 from the top -> pitch 124
    expect(k.toPitch(0)).toBe(124);
    expect(k.toPitch(4.99)).toBe(124);
    expect(k.toPitch(5)).toBe(123);
    for (const p of [0, 21, 60, 108, 127]) expect(k.toPitch(k.toY(p) + 0.5)).toBe(p);
  });

  it('clamps the visible pitch range to the MIDI range', () => {
    const k = new KeyTransform(8, 8 * 27);
    expect(k.visiblePitches(80)).toEqual({ lowest: 91, highest: 100 });
    expect(new KeyTransform(8, 0).visiblePitches(10_000)).toEqual({ lowest: 0, highest: 127 });
    expect(k.contentHeightPx()).toBe(1024);
  });
});

import { describe, expect, it } from 'vitest';
import { isBlackKey, noteName } from './noteNames';
import { velocityColor } from './velocityColor';

describe('noteName', () => {
  it('uses scientific pitch notation with C4 = 60', () => {
    expect(noteName(60)).toBe('C4');
    expect(noteName(61)).toBe('C#4');
    expect(noteName(21)).toBe('A0');
    expect(noteName(108)).toBe('C8');
    expect(noteName(0)).toBe('C-1');
  });

  it('knows the black keys', () => {
    expect([60, 61, 62, 63, 64, 65, 66].map(isBlackKey)).toEqual([false, true, false, true, false, false, true]);
  });
});

describe('velocityColor', () => {
  it('moves louder notes from blue towards rose and clamps out-of-range velocities', () => {
    const hue = (c: string) => Number(/hsl\((\d+)/.exec(c)![1]);
    expect(hue(velocityColor(20, false))).toBeGreaterThan(200);
    expect(hue(velocityColor(20, false))).toBeLessThan(240);
    expect(hue(velocityColor(127, false))).toBeGreaterThan(330);
    expect(hue(velocityColor(64, false))).toBeGreaterThan(hue(velocityColor(20, false)));
    expect(velocityColor(300, true)).toBe(velocityColor(127, true));
    expect(velocityColor(0, true)).toBe(velocityColor(1, true));
  });
});

import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatCount, formatEta } from './time';

describe('formatClock', () => {
  it('formats minutes and seconds, hours when needed, tenths on request', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(65.9)).toBe('1:05');
    expect(formatClock(3725)).toBe('1:02:05');
    expect(formatClock(65.94, true)).toBe('1:05.9');
    expect(formatClock(5.0, true)).toBe('0:05.0');
    expect(formatClock(-3)).toBe('0:00');
    expect(formatClock(Number.NaN)).toBe('0:00');
  });
});

describe('formatEta', () => {
  it('reads naturally at each scale and is empty when unknown', () => {
    expect(formatEta(undefined)).toBe('');
    expect(formatEta(12.4)).toBe('12 s');
    expect(formatEta(185)).toBe('3 min 05 s');
    expect(formatEta(4800)).toBe('1 h 20 min');
  });
});

describe('formatBytes and formatCount', () => {
  it('scales units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3.4 * 1024)).toBe('3.4 KB');
    expect(formatBytes(12 * 1024 * 1024)).toBe('12.0 MB');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});

import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatCount, formatEta } from './time';
import { EtaEstimator } from './eta';

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

describe('EtaEstimator', () => {
  it('estimates from the observed rate', () => {
    const eta = new EtaEstimator();
    eta.update(0, 100);
    expect(eta.remainingSeconds(100)).toBeUndefined();
    eta.update(10, 110); // 1 unit/s
    expect(eta.remainingSeconds(100)).toBeCloseTo(90, 9);
    expect(eta.remainingSeconds(undefined)).toBeUndefined();
  });

  it('smooths a sudden change in rate', () => {
    const eta = new EtaEstimator();
    eta.update(0, 0);
    eta.update(10, 10); // 1/s
    eta.update(30, 20); // 2/s instant -> smoothed 1.3/s
    expect(eta.remainingSeconds(43)).toBeCloseTo(10, 6);
    expect(eta.averageRate()).toBeCloseTo(1.5, 9);
  });

  it('restarts when the count goes backwards', () => {
    const eta = new EtaEstimator();
    eta.update(0, 0);
    eta.update(50, 5);
    eta.update(2, 6);
    expect(eta.remainingSeconds(10)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { waveformPeaks } from './peaks';

describe('waveformPeaks', () => {
  it('gives the min and max of the channel average in each bucket', () => {
    const left = Float32Array.from([0, 0.5, -0.5, 1, 0.25, -1]);
    const right = Float32Array.from([0, 0.5, 0.5, 1, 0.25, 0]);
    const { min, max } = waveformPeaks({ sampleRateHz: 6, channels: [left, right] }, 3);
    expect(min).toEqual([0, 0, -0.5]);
    expect(max).toEqual([0.5, 1, 0.25]);
  });

  it('never makes more buckets than frames, and none for silence of length 0', () => {
    expect(waveformPeaks({ sampleRateHz: 8000, channels: [Float32Array.from([0.1, -0.2])] }, 100).max).toHaveLength(2);
    expect(waveformPeaks({ sampleRateHz: 8000, channels: [new Float32Array(0)] }, 100)).toEqual({ min: [], max: [] });
  });
});

import { describe, expect, it } from 'vitest';
import type { Note, Song } from '../song/song';
import { emptySong } from '../song/song';
import { binVelocity, PerformanceTokenizer, performanceTokens, velocityBin } from './performance';

function song(
  notes: [pitch: number, startTicks: number, endTicks: number, velocity?: number][],
  bpm = 120,
): Song {
  const s = emptySong(480);
  s.tempos = [{ ticks: 0, bpm }];
  s.notes = notes.map(([pitch, startTicks, endTicks, velocity = 64]): Note => ({
    pitch,
    velocity,
    startTicks,
    endTicks,
    track: 0,
    channel: 0,
  }));
  return s;
}

describe('performance vocabulary', () => {
  it('has 388 tokens: NOTE_ON x128, NOTE_OFF x128, TIME_SHIFT x100, VELOCITY x32, in that order', () => {
    const tokens = performanceTokens();
    expect(tokens).toHaveLength(388);
    expect(tokens[0]).toBe('NOTE_ON_0');
    expect(tokens[127]).toBe('NOTE_ON_127');
    expect(tokens[128]).toBe('NOTE_OFF_0');
    expect(tokens[256]).toBe('TIME_SHIFT_10');
    expect(tokens[355]).toBe('TIME_SHIFT_1000');
    expect(tokens[356]).toBe('VELOCITY_1');
    expect(tokens[387]).toBe('VELOCITY_32');
    expect(new Set(tokens).size).toBe(388);
  });

  it('bins velocities into 32 bins and decodes inside the bin', () => {
    expect(velocityBin(1)).toBe(1);
    expect(velocityBin(127)).toBe(32);
    expect(velocityBin(64)).toBe(16);
    for (let b = 1; b <= 32; b++) expect(velocityBin(binVelocity(b))).toBe(b);
  });
});

describe('PerformanceTokenizer', () => {
  const t = new PerformanceTokenizer();

  it('encodes onsets, offsets, shifts and velocity changes in seconds', () => {
    // 120 BPM, ppq 480: one quarter = 0.5 s. Two notes, the second louder and 1.5 s later.
    const tokens = t.encode(
      song([
        [60, 0, 480, 64],
        [62, 1440, 1680, 100],
      ]),
    );
    expect(tokens).toEqual([
      'VELOCITY_16',
      'NOTE_ON_60',
      'TIME_SHIFT_500',
      'NOTE_OFF_60',
      'TIME_SHIFT_1000',
      `VELOCITY_${velocityBin(100)}`,
      'NOTE_ON_62',
      'TIME_SHIFT_250',
      'NOTE_OFF_62',
    ]);
  });

  it('follows the tempo map', () => {
    // At 60 BPM a quarter lasts 1 s.
    const s = song([[60, 0, 480]], 60);
    expect(t.encode(s)).toEqual(['VELOCITY_16', 'NOTE_ON_60', 'TIME_SHIFT_1000', 'NOTE_OFF_60']);
  });

  it('applies the sustain pedal unless told not to', () => {
    const s = song([[60, 0, 240]]);
    s.pedals = [
      { ticks: 0, track: 0, channel: 0, down: true },
      { ticks: 960, track: 0, channel: 0, down: false },
    ];
    expect(t.encode(s)).toContain('TIME_SHIFT_1000');
    expect(new PerformanceTokenizer({ sustain: false }).encode(s)).toContain('TIME_SHIFT_250');
  });

  it('round-trips within 10 ms and the velocity bin, at 120 BPM and ppq 480 (1 tick = 1/960 s)', () => {
    const input = song([
      [60, 0, 500, 30],
      [64, 7, 300, 90],
      [67, 1000, 5000, 127],
      [60, 1200, 1300, 1],
    ]);
    const out = t.decode(t.encode(input));
    expect(out.ppq).toBe(480);
    expect(out.tempos).toEqual([{ ticks: 0, bpm: 120 }]);
    expect(out.notes).toHaveLength(4);
    for (const n of input.notes) {
      const m = out.notes.find((d) => d.pitch === n.pitch && Math.abs(d.startTicks - n.startTicks) <= 9.6);
      expect(m, `note ${n.pitch}@${n.startTicks}`).toBeDefined();
      expect(Math.abs(m!.endTicks - n.endTicks)).toBeLessThanOrEqual(9.6);
      expect(velocityBin(m!.velocity)).toBe(velocityBin(n.velocity));
    }
  });

  it('ends a sounding key before striking it again, and closes notes left open', () => {
    const out = t.decode([
      'NOTE_ON_60',
      'TIME_SHIFT_100',
      'NOTE_ON_60',
      'TIME_SHIFT_200',
      'NOTE_ON_62',
      'bogus',
      'NOTE_ON_999',
    ]);
    expect(out.notes.map((n) => [n.pitch, n.startTicks, n.endTicks])).toEqual([
      [60, 0, 96],
      [60, 96, 288],
      [62, 288, 298],
    ]);
  });
});

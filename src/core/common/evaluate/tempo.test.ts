import { describe, expect, it } from 'vitest';
import { ENVELOPE_RATE_HZ, estimateTempo, onsetEnvelopeFromSong, tempoConsistency } from './tempo';
import { songOf } from './testSongs';

/** Onsets every `periodSeconds` for `seconds`, as an envelope. */
function pulse(periodSeconds: number, seconds: number, from = 0): number[] {
  const out: number[] = [];
  for (let t = from; t < from + seconds - 1e-9; t += periodSeconds) out.push(t);
  return out;
}

function envelope(onsetsSeconds: number[]): Float32Array {
  const env = new Float32Array(Math.round(Math.max(...onsetsSeconds) * ENVELOPE_RATE_HZ) + 1);
  for (const t of onsetsSeconds) env[Math.round(t * ENVELOPE_RATE_HZ)]! += 1;
  return env;
}

describe('onsetEnvelopeFromSong', () => {
  it('puts each onset at its frame in seconds, weighted by velocity/127, chords adding up', () => {
    // 60 BPM: a quarter note is 1 s.
    const song = songOf(
      [
        [60, 0, 1],
        [64, 0, 1],
        [62, 1.5, 1],
      ],
      60,
    );
    const env = onsetEnvelopeFromSong(song);
    expect(env.length).toBe(151);
    expect(env[0]).toBeCloseTo((2 * 100) / 127);
    expect(env[150]).toBeCloseTo(100 / 127);
    expect(env.reduce((a, b) => a + b)).toBeCloseTo((3 * 100) / 127);
  });
});

describe('estimateTempo', () => {
  it('finds 120 BPM in a pulse every 0.5 s, and 100 BPM in one every 0.6 s', () => {
    expect(estimateTempo(envelope(pulse(0.5, 8)), ENVELOPE_RATE_HZ)).toBeCloseTo(120, 0);
    expect(estimateTempo(envelope(pulse(0.6, 8)), ENVELOPE_RATE_HZ)).toBeCloseTo(100, 0);
  });
});

describe('tempoConsistency', () => {
  it('is 1 for a metronome, with its tempo as the median', () => {
    const t = tempoConsistency(envelope(pulse(0.5, 60)), ENVELOPE_RATE_HZ);
    expect(t.consistency).toBe(1);
    expect(t.medianBpm).toBeCloseTo(120, 0);
    expect(t.variationPercent).toBeLessThan(1);
    // 5951 frames: windows of 800 frames every 400 frames.
    expect(t.localBpm.length).toBe(13);
  });

  it('does not count a window that hears half time as a tempo change (octave folding)', () => {
    // Quarter pulses, but the second half only sounds every other beat.
    const onsets = [...pulse(0.5, 30), ...pulse(1, 30, 30)];
    expect(tempoConsistency(envelope(onsets), ENVELOPE_RATE_HZ).consistency).toBe(1);
  });

  it('is about one half when the second half is a third slower', () => {
    // 120 BPM for 30 s, then 90 BPM for 30 s.
    const onsets = [...pulse(0.5, 30), ...pulse(60 / 90, 30, 30)];
    const t = tempoConsistency(envelope(onsets), ENVELOPE_RATE_HZ);
    expect(t.consistency).toBeGreaterThan(0.3);
    expect(t.consistency).toBeLessThan(0.7);
    expect(t.variationPercent).toBeGreaterThan(10);
  });

  it('gives NaN without enough onsets to hear a pulse', () => {
    expect(tempoConsistency(envelope([0, 1]), ENVELOPE_RATE_HZ).consistency).toBeNaN();
    expect(tempoConsistency(new Float32Array(0), ENVELOPE_RATE_HZ).consistency).toBeNaN();
  });
});

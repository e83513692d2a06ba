import { describe, expect, it } from 'vitest';
import { velocityDrift } from '../../common/evaluate/expression';
import { Rng } from '../../common/random';
import { emptySong, type Song } from '../../common/song/song';
import { tempoMapOf } from '../../common/song/tempo';
import { loadTransformer } from '../models/transformer/load';
import { refineSong } from './refine';

/** Three minutes at 120 BPM as the generator writes them: one velocity, a melody note over a bass and a chord tone each beat. */
function threeMinutes(): Song {
  const song = emptySong(480);
  const rng = new Rng(11);
  for (let beat = 0; beat < 360; beat++) {
    const t = beat * 480;
    const root = [48, 53, 55, 50][Math.floor(beat / 4) % 4]!;
    for (const p of [root - 12, root + 4 + 3 * (beat % 2)]) song.notes.push({ pitch: p, velocity: 80, startTicks: t, endTicks: t + 440, track: 0, channel: 0 });
    song.notes.push({ pitch: 67 + rng.int(10), velocity: 80, startTicks: t, endTicks: t + 440, track: 0, channel: 0 });
  }
  song.notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
  return song;
}

/** Mean velocity over each 30 s of the refined piece. */
function windowMeans(song: Song): number[] {
  const map = tempoMapOf(song);
  const sums: number[] = [];
  const counts: number[] = [];
  for (const n of song.notes) {
    const w = Math.floor(map.toSeconds(n.startTicks) / 30);
    sums[w] = (sums[w] ?? 0) + n.velocity;
    counts[w] = (counts[w] ?? 0) + 1;
  }
  return sums.map((s, i) => s / counts[i]!);
}

describe('refineSong with the bundled transformer', () => {
  it('holds level dynamics over a three-minute piece (it used to sink from ~54 to ~27 within 30 s)', async () => {
    const model = await loadTransformer();
    const song = threeMinutes();
    for (const expression of [0, 0.5]) {
      const { song: refined } = refineSong(song, model, { seed: 1, expression, baseVelocity: 50 });
      expect(refined.notes.map((n) => n.pitch).sort()).toEqual(song.notes.map((n) => n.pitch).sort());
      const drift = velocityDrift(refined);
      expect(drift).toBeGreaterThanOrEqual(0.8);
      expect(drift).toBeLessThanOrEqual(1.25);
      const means = windowMeans(refined);
      expect(means.length).toBeGreaterThanOrEqual(6);
      for (const m of means.slice(0, 6)) {
        expect(m).toBeGreaterThan(50 * 0.75);
        expect(m).toBeLessThan(50 * 1.33);
      }
    }
  }, 300_000);
});

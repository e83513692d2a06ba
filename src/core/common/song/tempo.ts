/** Converts between ticks and seconds through a song's tempo map. */
import type { Seconds, Ticks } from '../units';
import type { Song, TempoEvent } from './song';
import { DEFAULT_BPM } from './song';

/**
 * A tempo map prepared for fast lookups: each segment knows the seconds at its start.
 * Build once per song, then call `toSeconds` / `toTicks` as often as needed.
 */
export class TempoMap {
  private readonly ticks: number[] = [];
  private readonly seconds: number[] = [];
  private readonly secondsPerTick: number[] = [];

  /** @param ppq ticks per quarter note; @param tempos tempo changes (any order). */
  constructor(
    readonly ppq: number,
    tempos: readonly TempoEvent[],
  ) {
    const sorted = [...tempos].sort((a, b) => a.ticks - b.ticks);
    if (sorted.length === 0 || sorted[0]!.ticks > 0) sorted.unshift({ ticks: 0, bpm: sorted[0]?.bpm ?? DEFAULT_BPM });
    let secs = 0;
    for (let i = 0; i < sorted.length; i++) {
      const t = sorted[i]!;
      if (i > 0) {
        const prev = i - 1;
        secs += (t.ticks - this.ticks[prev]!) * this.secondsPerTick[prev]!;
        // Several changes at one tick: the last one wins.
        if (t.ticks === this.ticks[prev]) {
          this.secondsPerTick[prev] = 60 / (t.bpm * ppq);
          continue;
        }
      }
      this.ticks.push(t.ticks);
      this.seconds.push(secs);
      this.secondsPerTick.push(60 / (t.bpm * ppq));
    }
  }

  /** Seconds from the start at tick `t`. */
  toSeconds(t: Ticks): Seconds {
    const i = this.segmentByTicks(t);
    return this.seconds[i]! + (t - this.ticks[i]!) * this.secondsPerTick[i]!;
  }

  /** The (fractional) tick at `s` seconds from the start. */
  toTicks(s: Seconds): Ticks {
    let lo = 0;
    let hi = this.seconds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.seconds[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    return this.ticks[lo]! + (s - this.seconds[lo]!) / this.secondsPerTick[lo]!;
  }

  private segmentByTicks(t: Ticks): number {
    let lo = 0;
    let hi = this.ticks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.ticks[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** A tempo map for `song`. */
export function tempoMapOf(song: Song): TempoMap {
  return new TempoMap(song.ppq, song.tempos);
}

/** The song's length in seconds, up to its last note release. */
export function durationSeconds(song: Song): Seconds {
  let end = 0;
  for (const n of song.notes) if (n.endTicks > end) end = n.endTicks;
  return tempoMapOf(song).toSeconds(end);
}

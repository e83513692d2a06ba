/** Turns a Song into a playback schedule in seconds, for the in-page preview synth. */
import type { Song } from '../../../../core/common/song/song';
import { applySustain } from '../../../../core/common/song/sustain';
import { tempoMapOf } from '../../../../core/common/song/tempo';
import type { Seconds } from '../../../../core/common/units';

/** A note on the clock: start and end in seconds, sorted by start. */
export interface TimedNote {
  startSeconds: Seconds;
  endSeconds: Seconds;
  pitch: number;
  velocity: number;
}

/** The song's notes in seconds, sustain pedal applied, drums left out, sorted by start. */
export function scheduleOf(song: Song): TimedNote[] {
  const sustained = applySustain(song);
  const tempo = tempoMapOf(song);
  const out: TimedNote[] = [];
  for (const n of sustained.notes) {
    if (n.channel === 9 || n.velocity <= 0) continue;
    out.push({ startSeconds: tempo.toSeconds(n.startTicks), endSeconds: tempo.toSeconds(n.endTicks), pitch: n.pitch, velocity: n.velocity });
  }
  out.sort((a, b) => a.startSeconds - b.startSeconds);
  return out;
}

/** The first index whose note starts at or after `seconds` (length when none). */
export function firstAtOrAfter(notes: readonly TimedNote[], seconds: Seconds): number {
  let lo = 0;
  let hi = notes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (notes[mid]!.startSeconds < seconds) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Frequency in hertz of a MIDI pitch (A4 = 69 = 440 Hz). */
export function pitchToHz(pitch: number): number {
  return 440 * 2 ** ((pitch - 69) / 12);
}

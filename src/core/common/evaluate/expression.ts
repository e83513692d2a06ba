/**
 * Expression measures: how a piece is played rather than what it plays. Velocity drift (does
 * the dynamic level hold?), voicing (is the top note of a chord the loudest?), and the tempo map
 * (does the tempo move, and does it slow at the close?). Definitions in docs/METRICS.md.
 */
import type { Song } from '../song/song';
import { tempoMapOf } from '../song/tempo';

/** Onsets this close (seconds) are one chord. */
const CHORD_SECONDS = 0.02;

/**
 * Mean velocity of the notes in the last third of the piece (by onset time) over that of the
 * first third: 1 = level, below 1 = fading. NaN for a piece without notes in both thirds.
 */
export function velocityDrift(song: Song): number {
  const map = tempoMapOf(song);
  const onsets = song.notes.map((n) => map.toSeconds(n.startTicks));
  let end = 0;
  for (const n of song.notes) end = Math.max(end, map.toSeconds(n.endTicks));
  let first = 0;
  let firstCount = 0;
  let last = 0;
  let lastCount = 0;
  song.notes.forEach((n, i) => {
    if (onsets[i]! < end / 3) {
      first += n.velocity;
      firstCount++;
    } else if (onsets[i]! >= (2 * end) / 3) {
      last += n.velocity;
      lastCount++;
    }
  });
  return firstCount && lastCount ? last / lastCount / (first / firstCount) : NaN;
}

/**
 * Share (0..1) of chords (two or more onsets within 20 ms) whose highest note is at least as loud
 * as every other note of the chord. NaN without chords.
 */
export function topNoteLoudestShare(song: Song): number {
  const map = tempoMapOf(song);
  const notes = song.notes
    .filter((n) => !song.tracks[n.track]?.isDrum)
    .map((n) => ({ t: map.toSeconds(n.startTicks), pitch: n.pitch, velocity: n.velocity }))
    .sort((a, b) => a.t - b.t);
  let chords = 0;
  let top = 0;
  for (let i = 0; i < notes.length; ) {
    let j = i + 1;
    while (j < notes.length && notes[j]!.t - notes[i]!.t <= CHORD_SECONDS) j++;
    if (j - i >= 2) {
      const chord = notes.slice(i, j);
      const high = chord.reduce((a, b) => (b.pitch > a.pitch ? b : a));
      chords++;
      if (chord.every((n) => n.velocity <= high.velocity)) top++;
    }
    i = j;
  }
  return chords ? top / chords : NaN;
}

/** The tempo map's tempo over each beat (quarter note) from the first note to the last onset, in BPM. */
function beatTempi(song: Song): number[] {
  if (song.notes.length === 0) return [];
  const map = tempoMapOf(song);
  let first = Infinity;
  let lastOnset = 0;
  for (const n of song.notes) {
    first = Math.min(first, n.startTicks);
    lastOnset = Math.max(lastOnset, n.startTicks);
  }
  const out: number[] = [];
  for (let t = first; t < lastOnset + song.ppq; t += song.ppq) {
    const seconds = map.toSeconds(t + song.ppq) - map.toSeconds(t);
    if (seconds > 0) out.push(60 / seconds);
  }
  return out;
}

/**
 * Coefficient of variation of the tempo map's local tempo over the piece's beats (standard
 * deviation over mean), in percent: 0 for one fixed tempo. NaN for a piece without notes.
 */
export function tempoMapVariationPercent(song: Song): number {
  const bpm = beatTempi(song);
  if (bpm.length === 0) return NaN;
  const mean = bpm.reduce((s, x) => s + x, 0) / bpm.length;
  const sd = Math.sqrt(bpm.reduce((s, x) => s + (x - mean) ** 2, 0) / bpm.length);
  return (100 * sd) / mean;
}

/**
 * Tempo over the last bar (the last four beats up to the final onset) over the median tempo of
 * the piece: below 1 = a ritardando at the close. NaN for a piece shorter than two bars.
 */
export function finalTempoRatio(song: Song): number {
  const bpm = beatTempi(song);
  if (bpm.length < 8) return NaN;
  const sorted = [...bpm].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  const tail = bpm.slice(-4);
  return tail.reduce((s, x) => s + x, 0) / tail.length / median;
}

/**
 * A struct-of-arrays copy of a song's notes, sorted by start, that answers "which notes touch this
 * window?" in O(log n + visible): a binary search on starts, bounded by the longest note.
 * It keeps the piano roll smooth with 100,000 notes, since drawing only walks what is visible.
 */
import type { Note } from '../../../../core/common/song/song';
import type { MidiNote, Ticks } from '../../../../core/common/units';

/** Notes of one song prepared for windowed queries; indices refer to the sorted order. */
export class NoteIndex {
  /** Onsets in ticks, ascending. */
  readonly startTicks: Float64Array;
  /** Releases in ticks, parallel to `startTicks`. */
  readonly endTicks: Float64Array;
  /** MIDI pitches, parallel to `startTicks`. */
  readonly pitches: Uint8Array;
  /** MIDI velocities, parallel to `startTicks`. */
  readonly velocities: Uint8Array;
  /** The longest note's length in ticks: how far back a note can start and still reach a window. */
  readonly maxDurationTicks: Ticks;
  /** The last release in ticks (0 when empty). */
  readonly lastEndTicks: Ticks;

  constructor(notes: readonly Note[]) {
    const sorted = isSortedByStart(notes) ? notes : [...notes].sort((a, b) => a.startTicks - b.startTicks);
    const n = sorted.length;
    this.startTicks = new Float64Array(n);
    this.endTicks = new Float64Array(n);
    this.pitches = new Uint8Array(n);
    this.velocities = new Uint8Array(n);
    let maxDur = 0;
    let lastEnd = 0;
    for (let i = 0; i < n; i++) {
      const note = sorted[i]!;
      this.startTicks[i] = note.startTicks;
      this.endTicks[i] = note.endTicks;
      this.pitches[i] = note.pitch;
      this.velocities[i] = note.velocity;
      maxDur = Math.max(maxDur, note.endTicks - note.startTicks);
      lastEnd = Math.max(lastEnd, note.endTicks);
    }
    this.maxDurationTicks = maxDur;
    this.lastEndTicks = lastEnd;
  }

  /** How many notes there are. */
  get length(): number {
    return this.startTicks.length;
  }

  /** The first index whose start is >= `ticks` (length when none). */
  lowerBound(ticks: Ticks): number {
    let lo = 0;
    let hi = this.startTicks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.startTicks[mid]! < ticks) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The index range [from, to) that can hold notes overlapping [startTicks, endTicks): starts from
   * `startTicks - maxDurationTicks` up to `endTicks`. Callers still check each note's end and pitch.
   */
  candidates(startTicks: Ticks, endTicks: Ticks): { from: number; to: number } {
    return { from: this.lowerBound(startTicks - this.maxDurationTicks), to: this.lowerBound(endTicks) };
  }

  /**
   * Calls `visit(i)` for every note that overlaps [startTicks, endTicks) and whose pitch is in
   * [lowest, highest], in ascending start order.
   */
  forEachVisible(
    startTicks: Ticks,
    endTicks: Ticks,
    lowest: MidiNote,
    highest: MidiNote,
    visit: (index: number) => void,
  ): void {
    const n = this.startTicks.length;
    for (let i = this.lowerBound(startTicks - this.maxDurationTicks); i < n; i++) {
      if (this.startTicks[i]! >= endTicks) break;
      if (this.endTicks[i]! <= startTicks) continue;
      const p = this.pitches[i]!;
      if (p < lowest || p > highest) continue;
      visit(i);
    }
  }
}

function isSortedByStart(notes: readonly Note[]): boolean {
  for (let i = 1; i < notes.length; i++) if (notes[i]!.startTicks < notes[i - 1]!.startTicks) return false;
  return true;
}

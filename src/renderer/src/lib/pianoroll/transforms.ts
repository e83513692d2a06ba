/**
 * Pure coordinate transforms for the piano roll (after ryohey/signal): ticks <-> x pixels and
 * pitches <-> y pixels, for one scroll position and zoom. They know nothing of canvases.
 */
import type { MidiNote, Ticks } from '../../../../core/common/units';

/** Maps ticks to x pixels for a horizontal zoom (`pixelsPerTick`) and scroll (`scrollTicks` at x = 0). */
export class TickTransform {
  constructor(
    /** Horizontal zoom: pixels per tick (> 0). */
    readonly pixelsPerTick: number,
    /** The tick shown at the left edge (x = 0). */
    readonly scrollTicks: Ticks,
  ) {}

  /** The x pixel of tick `ticks`. */
  toX(ticks: Ticks): number {
    return (ticks - this.scrollTicks) * this.pixelsPerTick;
  }

  /** The (fractional) tick at x pixel `x`. */
  toTicks(x: number): Ticks {
    return this.scrollTicks + x / this.pixelsPerTick;
  }

  /** The tick range [startTicks, endTicks) visible in a view `widthPx` pixels wide. */
  visibleTicks(widthPx: number): { startTicks: Ticks; endTicks: Ticks } {
    return { startTicks: this.scrollTicks, endTicks: this.toTicks(widthPx) };
  }
}

/** Maps pitches to y pixels: higher pitches sit higher; `scrollPx` is how far the view is scrolled down from the top key. */
export class KeyTransform {
  constructor(
    /** Vertical zoom: pixels per key row (> 0). */
    readonly pixelsPerKey: number,
    /** Pixels scrolled down from the top of the highest key's row. */
    readonly scrollPx: number,
    /** The pitch of the top row (127 shows the whole MIDI range). */
    readonly highestPitch: MidiNote = 127,
  ) {}

  /** The y pixel of the top edge of `pitch`'s row. */
  toY(pitch: MidiNote): number {
    return (this.highestPitch - pitch) * this.pixelsPerKey - this.scrollPx;
  }

  /** The pitch whose row contains y pixel `y` (may fall outside 0..127; callers clamp). */
  toPitch(y: number): MidiNote {
    return this.highestPitch - Math.floor((y + this.scrollPx) / this.pixelsPerKey);
  }

  /** The pitches [lowest, highest] with at least one pixel visible in a view `heightPx` tall, clamped to 0..highestPitch. */
  visiblePitches(heightPx: number): { lowest: MidiNote; highest: MidiNote } {
    const highest = Math.min(this.highestPitch, this.toPitch(0));
    const lowest = Math.max(0, this.toPitch(Math.max(0, heightPx - 1e-9)));
    return { lowest, highest };
  }

  /** The total height in pixels of all rows from `highestPitch` down to pitch 0. */
  contentHeightPx(): number {
    return (this.highestPitch + 1) * this.pixelsPerKey;
  }
}

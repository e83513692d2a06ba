/**
 * Seeded pseudo-random numbers (mulberry32): the same seed gives the same sequence on every
 * platform and runtime, which is what makes "same seed, same piece" hold.
 */

/** A deterministic random source. `next()` returns a float in [0, 1). */
export class Rng {
  private state: number;

  /** @param seed any 32-bit integer; other numbers are truncated to one. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The next 32 random bits as an unsigned integer (the same draw `next()` scales to [0, 1)). */
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** The current state, to save in a checkpoint and restore with `Rng.fromState`. */
  getState(): number {
    return this.state;
  }

  /** Continues from a state saved with `getState` (or reached by an equivalent generator elsewhere). */
  setState(state: number): void {
    this.state = state >>> 0;
  }

  /** Restores a generator saved with `getState`. */
  static fromState(state: number): Rng {
    return new Rng(state);
  }
}

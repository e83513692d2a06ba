import { describe, expect, it } from 'vitest';
import { primerBpm } from './primerTempo';

describe('primerBpm', () => {
  it('takes the opening tempo, rounded, within what a request accepts', () => {
    expect(
      primerBpm({
        tempos: [
          { ticks: 960, bpm: 60 },
          { ticks: 0, bpm: 132.4 },
        ],
      }),
    ).toBe(132);
    expect(primerBpm({ tempos: [{ ticks: 0, bpm: 500 }] })).toBe(400);
    expect(primerBpm({ tempos: [] })).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { bpmAt } from './tempoAt';

describe('bpmAt', () => {
  it('answers the tempo in force at a tick, the first before any change, and the default for none', () => {
    const tempos = [
      { ticks: 480, bpm: 90 },
      { ticks: 1920, bpm: 60 },
    ];
    expect(bpmAt(tempos, 0)).toBe(90);
    expect(bpmAt(tempos, 1919)).toBe(90);
    expect(bpmAt(tempos, 1920)).toBe(60);
    expect(bpmAt(tempos, 1e9)).toBe(60);
    expect(bpmAt([], 100)).toBe(120);
  });
});

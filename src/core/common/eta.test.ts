import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from './progress';
import { remainingSeconds, StagePace, withRemainingSeconds } from './eta';

describe('remainingSeconds', () => {
  it("carries the whole run's pace over every unit left, not only the current epoch's", () => {
    // 30 epochs of 100 steps, 50 steps taken in 5 s: 2,950 steps left at 0.1 s.
    expect(remainingSeconds({ unitsDone: 50, unitsLeft: 2950, elapsedSeconds: 5 })).toBeCloseTo(295);
  });

  it('counts what lies between the units (validations, writes) in the pace', () => {
    // 100 steps of 0.1 s and one 10 s validation: 0.2 s a step, so 100 steps left take 20 s.
    expect(remainingSeconds({ unitsDone: 100, unitsLeft: 100, elapsedSeconds: 20 })).toBeCloseTo(20);
  });

  it('stops at the time limit when that comes first', () => {
    expect(
      remainingSeconds({ unitsDone: 50, unitsLeft: 2950, elapsedSeconds: 5, timeLimitSeconds: 60 }),
    ).toBeCloseTo(55);
    expect(
      remainingSeconds({ unitsDone: 50, unitsLeft: 10, elapsedSeconds: 5, timeLimitSeconds: 60 }),
    ).toBeCloseTo(1);
  });

  it('counts the time limit used by earlier sessions of a resumed run', () => {
    // Resumed after 40 s of a 60 s limit; 5 s into this session.
    expect(
      remainingSeconds({ unitsDone: 50, unitsLeft: 2950, elapsedSeconds: 5, timeLimitSeconds: 60, limitUsedSeconds: 45 }),
    ).toBeCloseTo(15);
  });

  it('is unknown before the first unit, unless a time limit bounds it', () => {
    expect(remainingSeconds({ unitsDone: 0, unitsLeft: 100, elapsedSeconds: 3 })).toBeUndefined();
    expect(
      remainingSeconds({ unitsDone: 0, unitsLeft: 100, elapsedSeconds: 0, timeLimitSeconds: 60, limitUsedSeconds: 10 }),
    ).toBe(50);
  });

  it('is never negative', () => {
    expect(remainingSeconds({ unitsDone: 10, unitsLeft: -5, elapsedSeconds: 1 })).toBe(0);
    expect(remainingSeconds({ unitsDone: 10, unitsLeft: 5, elapsedSeconds: 70, timeLimitSeconds: 60 })).toBe(0);
  });
});

describe('StagePace', () => {
  it("estimates a stage from its pace since the stage's first event", () => {
    const pace = new StagePace();
    expect(pace.observe({ stage: 'render', done: 0, total: 10 }, 100)).toBeUndefined();
    // 2 files in 4 s: 8 left take 16 s.
    expect(pace.observe({ stage: 'render', done: 2, total: 10 }, 104)).toBeCloseTo(16);
    expect(pace.observe({ stage: 'render', done: 2 }, 105)).toBeUndefined();
  });

  it('starts again on a new stage or a count that goes back', () => {
    const pace = new StagePace();
    pace.observe({ stage: 'a', done: 0, total: 10 }, 0);
    pace.observe({ stage: 'a', done: 5, total: 10 }, 5);
    expect(pace.observe({ stage: 'b', done: 3, total: 10 }, 6)).toBeUndefined();
    expect(pace.observe({ stage: 'b', done: 1, total: 10 }, 7)).toBeUndefined();
    expect(pace.observe({ stage: 'b', done: 2, total: 10 }, 9)).toBeCloseTo(16);
  });
});

describe('withRemainingSeconds', () => {
  it("keeps a stage's own estimate and adds one where the stage gives none", () => {
    const seen: ProgressEvent[] = [];
    let now = 0;
    const sink = withRemainingSeconds((e) => seen.push(e), () => now);
    sink({ stage: 'epoch 1/3', done: 1, total: 10, remainingSeconds: 300 });
    sink({ stage: 'import', done: 0, total: 4 });
    now = 2;
    sink({ stage: 'import', done: 1, total: 4 });
    expect(seen.map((e) => e.remainingSeconds)).toEqual([300, undefined, 6]);
  });
});

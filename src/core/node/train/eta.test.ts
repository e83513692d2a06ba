import { describe, expect, it } from 'vitest';
import { runEtaSeconds } from './eta';

describe('runEtaSeconds', () => {
  it('counts every step left in the run, not only the current epoch', () => {
    // 30 epochs of 100 steps, 50 steps into the first: 2,950 steps left at 0.1 s.
    expect(runEtaSeconds({ stepsLeft: 2950, secondsPerStep: 0.1, trainedSeconds: 5 })).toBeCloseTo(295);
  });

  it('stops at the time limit when that comes first', () => {
    expect(
      runEtaSeconds({ stepsLeft: 2950, secondsPerStep: 0.1, trainedSeconds: 5, timeLimitSeconds: 60 }),
    ).toBeCloseTo(55);
    expect(
      runEtaSeconds({ stepsLeft: 10, secondsPerStep: 0.1, trainedSeconds: 5, timeLimitSeconds: 60 }),
    ).toBeCloseTo(1);
  });

  it('is unknown before the first step, unless a time limit bounds it', () => {
    expect(runEtaSeconds({ stepsLeft: 100, secondsPerStep: NaN, trainedSeconds: 0 })).toBeNaN();
    expect(
      runEtaSeconds({ stepsLeft: 100, secondsPerStep: NaN, trainedSeconds: 10, timeLimitSeconds: 60 }),
    ).toBe(50);
  });
});

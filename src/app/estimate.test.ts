import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { estimateTraining, plannedSteps, REFERENCE_SECONDS_PER_STEP } from './estimate';

/** Training pieces' lengths in notes tokens of 27 of the 30 pieces the issue trained tiny on. */
const THIRTY_PIECES = [
  982, 3915, 10972, 4040, 1492, 1685, 8862, 769, 667, 3319, 7484, 4856, 4030, 816, 8212, 833, 965, 4223, 1453,
  3963, 2145, 5169, 1446, 804, 3302, 3428, 2910,
];

describe('training estimates', () => {
  it('keeps tiny quick on 30 pieces: well under a minute', () => {
    const planned = plannedSteps('tiny', THIRTY_PIECES);
    expect(planned).toEqual({ epochs: 10, stepsPerEpoch: 200, steps: 2000 });
    expect(planned.steps * REFERENCE_SECONDS_PER_STEP.tiny).toBeLessThan(60);
    expect(
      plannedSteps('composer-tiny', THIRTY_PIECES).steps * REFERENCE_SECONDS_PER_STEP['composer-tiny'],
    ).toBeLessThan(60);
  });

  it('plans steps as training does: windows over the batch, capped per epoch, maxSteps spread over the epochs', () => {
    // small: window 64, batch 32, no cap.
    expect(plannedSteps('small', [64 + 320], { epochs: 2 })).toEqual({
      epochs: 2,
      stepsPerEpoch: 10,
      steps: 20,
    });
    expect(plannedSteps('small', [64 + 3200], { epochs: 4, maxSteps: 10 })).toEqual({
      epochs: 4,
      stepsPerEpoch: 3,
      steps: 12,
    });
    expect(plannedSteps('composer-small', [], { maxSteps: 50 })).toEqual({
      epochs: 1,
      stepsPerEpoch: 50,
      steps: 50,
    });
  });

  describe('on a data folder', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-estimate-'));
      mkdirSync(path.join(dir, 'dataset', 'notes'), { recursive: true });
      writeFileSync(
        path.join(dir, 'dataset', 'notes', 'index.json'),
        JSON.stringify(THIRTY_PIECES.map((length) => ({ length, split: 'train' }))),
      );
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('uses the reference pace until the preset has run here, then the measured one', async () => {
      expect(await estimateTraining(dir, 'tiny')).toMatchObject({
        steps: 2000,
        basis: 'reference',
        seconds: 2000 * REFERENCE_SECONDS_PER_STEP.tiny,
      });
      const run = path.join(dir, 'models', 'run-1');
      mkdirSync(run, { recursive: true });
      writeFileSync(path.join(run, 'run.json'), JSON.stringify({ preset: 'tiny' }));
      writeFileSync(
        path.join(run, 'training-log.jsonl'),
        JSON.stringify({ type: 'epoch', time: '2026-12-03T07:00:00Z', msPerStep: 5 }) + '\n',
      );
      expect(await estimateTraining(dir, 'tiny')).toMatchObject({
        basis: 'measured',
        secondsPerStep: 0.005,
        seconds: 10,
      });
      // A composer trains on remi data, not prepared here.
      expect(await estimateTraining(dir, 'composer-tiny')).toBeNull();
    });
  });
});

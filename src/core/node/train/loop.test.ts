import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/progress';
import { runTrainingLoop, type Trainable } from './loop';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A one-parameter model whose loss is its weight squared: enough to drive the loop. */
function toyModel(): Trainable {
  const w = new Float32Array([1]);
  return {
    params: new Map([['w', w]]),
    trainExamples: 8,
    gradients: (_order, _start, _count, grads) => {
      grads.get('w')![0] = 2 * w[0]!;
      return w[0]! * w[0]!;
    },
    validate: () => ({ nll: w[0]! * w[0]!, accuracy: 0, targets: 1 }),
  };
}

describe('runTrainingLoop progress', () => {
  it("reports the whole run's time left on every event, validation included", async () => {
    const events: ProgressEvent[] = [];
    await runTrainingLoop(
      toyModel(),
      { epochs: 3, batchSize: 2, optimizer: 'adam', learningRate: 0.01, schedule: 'constant', patience: 10, seed: 1, maxStepsPerEpoch: 0 },
      { checkpointDir: path.join(dir, 'checkpoint'), logFile: path.join(dir, 'log.jsonl'), fingerprint: 'toy', onProgress: (e) => events.push(e) },
    );
    const steps = events.filter((e) => e.stage.startsWith('epoch'));
    expect(steps).toHaveLength(12);
    // No metric of its own: the one estimate travels as remainingSeconds.
    expect(steps.every((e) => e.metrics?.etaSeconds === undefined && e.remainingSeconds !== undefined)).toBe(true);
    expect(steps.at(-1)!.remainingSeconds).toBe(0);
    // At the end of the first epoch two epochs are left: the estimate is the run's, not the epoch's 0.
    expect(steps[3]!.remainingSeconds).toBeGreaterThan(0);
    for (const e of events.filter((x) => x.stage.startsWith('validate'))) expect(e.remainingSeconds).toBeDefined();
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRuns } from './library';

describe('listRuns', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-runs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (id: string, record: object, log: object[], checkpoint = true): void => {
    const folder = path.join(dir, 'models', id);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'run.json'), JSON.stringify(record));
    writeFileSync(
      path.join(folder, 'training-log.jsonl'),
      log.map((e) => JSON.stringify({ time: '2026-12-03T07:00:00Z', ...e })).join('\n') + '\n',
    );
    if (checkpoint) mkdirSync(path.join(folder, 'checkpoint'));
  };

  it('shows a run cancelled inside its first epoch with its name, steps and loss so far', async () => {
    run(
      'run-1',
      {
        id: 'run-1',
        name: 'Chopin etudes',
        preset: 'tiny',
        epochsPlanned: 30,
        maxStepsPerEpoch: 0,
        seed: 1,
        createdAt: '2026-12-03T07:00:00Z',
      },
      [
        { type: 'start', stepsPerEpoch: 7914 },
        { type: 'stop', reason: 'cancelled', epoch: 1, step: 3000, stepInEpoch: 3000, loss: 2.25 },
      ],
    );
    const [entry] = await listRuns(dir, new Set());
    expect(entry).toMatchObject({
      id: 'run-1',
      name: 'Chopin etudes',
      state: 'stopped',
      epochsDone: 0,
      epochsPlanned: 30,
      steps: 3000,
      stepsPlanned: 7914 * 30,
      loss: 2.25,
    });
  });

  it('takes the last whole epoch’s loss when no cancel came after it, and a composer’s validations as its history', async () => {
    run(
      'run-2',
      {
        id: 'run-2',
        name: 'tiny composer',
        preset: 'composer-tiny',
        epochsPlanned: 1,
        maxStepsPerEpoch: 200,
        seed: 1,
      },
      [
        { type: 'start', step: 0 },
        { type: 'epoch', step: 100, trainLoss: 3.5, validNll: 3.6 },
        { type: 'epoch', step: 200, trainLoss: 3.0, validNll: 3.1 },
        { type: 'end', stoppedBy: 'steps', step: 200 },
      ],
      false,
    );
    const [entry] = await listRuns(dir, new Set());
    expect(entry).toMatchObject({ name: 'tiny composer', steps: 200, stepsPlanned: 200, loss: 3.0 });
    expect(entry!.history).toEqual([
      { epoch: 1, loss: 3.5, validationLoss: 3.6 },
      { epoch: 2, loss: 3.0, validationLoss: 3.1 },
    ]);
  });
});

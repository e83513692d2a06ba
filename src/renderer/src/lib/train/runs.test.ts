import { describe, expect, it } from 'vitest';
import type { TrainRun } from '../../../../api/schemas';
import { backendShown, cancelledText, runName, runProgressText } from './runs';

const stopped: TrainRun = {
  id: 'run-20261203-070000-ab12',
  name: 'Chopin etudes',
  preset: 'tiny',
  state: 'stopped',
  epochsDone: 0,
  epochsPlanned: 30,
  steps: 3000,
  stepsPlanned: 237420,
  loss: 2.25,
  history: [],
};

describe('training runs as the Train screen words them', () => {
  it('shows where a run cancelled inside its first epoch stands, not 0 / 30', () => {
    expect(runProgressText(stopped)).toBe('epoch 1 of 30 · step 3,000 of 237,420');
    expect(runProgressText({ ...stopped, state: 'finished', epochsDone: 30, steps: 237420 })).toBe(
      'epoch 30 of 30 · step 237,420 of 237,420',
    );
    expect(
      runProgressText({ ...stopped, preset: 'composer-tiny', epochsPlanned: 1, stepsPlanned: 400 }),
    ).toBe('step 3,000 of 400');
  });

  it('names a run by the name typed, else its id', () => {
    expect(runName(stopped)).toBe('Chopin etudes');
    expect(runName({ ...stopped, name: undefined })).toBe(stopped.id);
  });

  it('says after a cancel that the checkpoint is kept and Resume continues', () => {
    expect(cancelledText(stopped)).toBe(
      'Training stopped at step 3,000. The checkpoint is kept: Resume continues “Chopin etudes” from there.',
    );
    expect(cancelledText(undefined)).toMatch(/nothing to resume/);
  });
});

describe('backendShown', () => {
  it('shows what ran, not the "auto" setting', () => {
    expect(backendShown('backend blas', [], 'auto')).toBe('blas');
    expect(backendShown(undefined, [{ ...stopped, backend: 'wasm' }], 'auto')).toBe('wasm');
    expect(backendShown(undefined, [], 'auto')).toBe('automatic');
    expect(backendShown(undefined, [], 'cpu')).toBe('cpu');
  });
});

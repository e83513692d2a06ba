import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../../api/schemas';
import { jobSummary } from './jobList';

const job = (patch: Partial<JobInfo>): JobInfo =>
  ({
    id: 'j1',
    kind: 'import',
    state: 'running',
    params: {},
    createdAt: '2026-12-03T08:00:00.000Z',
    ...patch,
  }) as JobInfo;

describe('jobSummary', () => {
  it('words a running job with where it stands', () => {
    expect(
      jobSummary(job({ progress: { stage: 'import', done: 3, total: 30, message: 'Mozart/k331.mid' } })),
    ).toEqual({
      title: 'Import',
      state: 'running',
      detail: 'import 3 of 30 · Mozart/k331.mid',
    });
  });

  it('words finished, failed and cancelled jobs with what they made or said', () => {
    expect(
      jobSummary(job({ state: 'succeeded', result: { imported: 12, duplicates: 1, failed: [{}, {}] } }))
        .detail,
    ).toBe('12 imported, 1 duplicate, 2 skipped');
    expect(
      jobSummary(job({ kind: 'generate', state: 'succeeded', result: { files: [{}, {}] } })).detail,
    ).toBe('2 files');
    expect(
      jobSummary(
        job({
          kind: 'train',
          state: 'failed',
          error: {
            name: 'DataError',
            code: 'DATA',
            message: 'The corpus has not been prepared for training yet.',
          },
        }),
      ),
    ).toEqual({
      title: 'Training',
      state: 'failed',
      detail: 'The corpus has not been prepared for training yet.',
    });
    expect(jobSummary(job({ state: 'cancelled' }))).toMatchObject({
      state: 'cancelled',
      detail: 'Cancelled; nothing half-made was kept.',
    });
    expect(jobSummary(job({ kind: 'train', state: 'cancelled' })).detail).toMatch(/checkpoint is kept/);
  });
});

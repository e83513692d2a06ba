import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../../api/schemas';
import { isFinished, withInfo, withProgress } from './jobView';

const info = (state: JobInfo['state'], over: Partial<JobInfo> = {}): JobInfo => ({
  id: 'job-1',
  kind: 'train',
  state,
  params: {},
  createdAt: '2026-11-26T10:00:00.000Z',
  ...over,
});
const progress = (done: number, metrics?: Record<string, number>, remainingSeconds?: number) => ({
  type: 'progress' as const,
  jobId: 'job-1',
  seq: done,
  stage: 'epoch 1/3',
  done,
  total: 10,
  metrics,
  remainingSeconds,
});

describe('job views', () => {
  it('keeps progress that arrives before the first state event, then adopts the real info', () => {
    const early = withProgress(undefined, progress(1, { loss: 4 }), '2026-11-26T10:00:01.000Z');
    expect(early.info.id).toBe('job-1');
    expect(early.progress?.done).toBe(1);
    const adopted = withInfo(early, info('running'));
    expect(adopted.info.kind).toBe('train');
    expect(adopted.progress?.done).toBe(1);
    expect(adopted.samples).toEqual([{ done: 1, stage: 'epoch 1/3', metrics: { loss: 4 } }]);
  });

  it('collects metric samples in order and skips reports without metrics', () => {
    let view = withInfo(undefined, info('running'));
    view = withProgress(view, progress(1, { loss: 4 }), '');
    view = withProgress(view, progress(2), '');
    view = withProgress(view, progress(3, { loss: 3 }), '');
    expect(view.samples.map((s) => s.done)).toEqual([1, 3]);
    expect(view.progress?.done).toBe(3);
  });

  it('shows the time left the backend reported, and none when it reported none', () => {
    const view = withInfo(undefined, info('running'));
    expect(withProgress(view, progress(1, undefined, 12), '').etaSeconds).toBe(12);
    expect(withProgress(view, progress(1), '').etaSeconds).toBeUndefined();
  });

  it('drops the ETA when the job ends and keeps its last progress', () => {
    let view = withInfo(undefined, info('running'));
    view = withProgress(view, progress(10, { loss: 2 }, 0), '');
    const done = withInfo(view, info('succeeded'));
    expect(isFinished(done.info)).toBe(true);
    expect(done.etaSeconds).toBeUndefined();
    expect(done.progress?.done).toBe(10);
    expect(isFinished(info('queued'))).toBe(false);
    expect(isFinished(info('cancelled'))).toBe(true);
  });
});

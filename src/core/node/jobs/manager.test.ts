import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobError } from '../../common/errors';
import { JobManager } from './manager';
import type { JobManagerEvent } from './types';

const workerEntry = new URL('./testing/testWorker.ts', import.meta.url);

describe('JobManager', () => {
  let dataDir: string;
  let manager: JobManager | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-jobs-'));
  });
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a job in a worker, streams progress in order and keeps the result in jobs.json', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0, env: () => ({ answer: 42 }) });
    const events: JobManagerEvent[] = [];
    manager.onEvent((e) => events.push(e));
    const job = manager.start('count', { steps: 20 });
    expect(['queued', 'running']).toContain(job.state);
    const done = await manager.waitFor(job.id);
    expect(done.state).toBe('succeeded');
    const result = done.result as { steps: number; file: string; env: unknown };
    expect(result.steps).toBe(20);
    expect(result.env).toEqual({ answer: 42 });
    expect(readFileSync(result.file, 'utf8').trim().split('\n').map(Number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((e) => e.done)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(progress.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const states = events.filter((e) => e.type === 'job').map((e) => e.job.state);
    expect(states).toEqual(['queued', 'running', 'succeeded']);
    expect(existsSync(path.join(dataDir, 'tmp', 'jobs', job.id))).toBe(false);
    await manager.close();
    const history = JSON.parse(readFileSync(path.join(dataDir, 'jobs.json'), 'utf8')) as { jobs: Array<{ id: string; state: string }> };
    expect(history.jobs.find((j) => j.id === job.id)?.state).toBe('succeeded');
  });

  it('throttles progress but always delivers the final count', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 60_000 });
    const done: number[] = [];
    manager.onEvent((e) => {
      if (e.type === 'progress') done.push(e.done);
    });
    const job = manager.start('count', { steps: 30 });
    await manager.waitFor(job.id);
    expect(done[0]).toBe(1);
    expect(done.at(-1)).toBe(30);
    expect(done.length).toBeLessThan(5);
  });

  it('cancels a running job: state cancelled, staging deleted, no output written', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0 });
    const job = manager.start('count', { steps: 100_000 });
    await new Promise<void>((resolve) => {
      const off = manager!.onEvent((e) => {
        if (e.type === 'progress' && e.done >= 5) {
          off();
          resolve();
        }
      });
    });
    expect(existsSync(path.join(dataDir, 'tmp', 'jobs', job.id, 'count.txt'))).toBe(true);
    manager.cancel(job.id);
    const end = await manager.waitFor(job.id);
    expect(end.state).toBe('cancelled');
    expect(end.error?.code).toBe('CANCELLED');
    expect(existsSync(path.join(dataDir, 'tmp', 'jobs', job.id))).toBe(false);
    expect(existsSync(path.join(dataDir, 'out', `${job.id}.txt`))).toBe(false);
  });

  it('cancels a runner that never lets its event loop turn, through the shared flag', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0, cancelGraceMs: 600_000 });
    const job = manager.start('busyAwait', {});
    await new Promise<void>((resolve) => manager!.onEvent((e) => e.type === 'progress' && resolve()));
    manager.cancel(job.id);
    const end = await manager.waitFor(job.id);
    expect(end.state).toBe('cancelled');
    // The runner's own message: it stopped itself, it was not terminated.
    expect(end.error?.message).toBe('Stopped at the next safe point.');
  });

  it('terminates a worker that ignores its cancel signal', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0, cancelGraceMs: 200 });
    const job = manager.start('stubborn', {});
    await new Promise<void>((resolve) => manager!.onEvent((e) => e.type === 'progress' && resolve()));
    manager.cancel(job.id);
    const end = await manager.waitFor(job.id);
    expect(end.state).toBe('cancelled');
    expect(existsSync(path.join(dataDir, 'tmp', 'jobs', job.id))).toBe(false);
  });

  it('reports a runner failure as the typed error it threw', async () => {
    manager = await JobManager.open({ dataDir, workerEntry });
    const end = await manager.waitFor(manager.start('fail', {}).id);
    expect(end.state).toBe('failed');
    expect(end.error).toMatchObject({ code: 'DATA', name: 'DataError', path: '/nowhere/data.json', message: 'The test data is missing.' });
  });

  it('refuses a second exclusive job and queues the others one after another', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0, exclusiveKinds: ['count'] });
    const first = manager.start('count', { steps: 200 });
    expect(() => manager!.start('count', { steps: 1 })).toThrow(JobError);
    manager.cancel(first.id);
    await manager.waitFor(first.id);
    await manager.close();

    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0, exclusiveKinds: [] });
    const a = manager.start('count', { steps: 5 });
    const b = manager.start('count', { steps: 5 });
    expect(manager.get(b.id).state).toBe('queued');
    const [ea, eb] = await Promise.all([manager.waitFor(a.id), manager.waitFor(b.id)]);
    expect(ea.state).toBe('succeeded');
    expect(eb.state).toBe('succeeded');
    expect(eb.startedAt! >= ea.endedAt!).toBe(true);
  });

  it('cancels a queued job without running it, and marks jobs a dead process left running as failed', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0 });
    const a = manager.start('count', { steps: 100_000 });
    const b = manager.start('count', { steps: 3 });
    expect(manager.cancel(b.id).state).toBe('cancelled');
    manager.cancel(a.id);
    await manager.waitFor(a.id);
    expect(manager.get(b.id).startedAt).toBeUndefined();
    await manager.close();

    await fs.writeFile(
      path.join(dataDir, 'jobs.json'),
      JSON.stringify({ version: 1, jobs: [{ id: 'old-1', kind: 'train', state: 'running', params: {}, createdAt: '2026-01-01T00:00:00.000Z' }] }),
    );
    await fs.mkdir(path.join(dataDir, 'tmp', 'jobs', 'old-1'), { recursive: true });
    manager = await JobManager.open({ dataDir, workerEntry });
    expect(manager.get('old-1')).toMatchObject({ state: 'failed', error: { code: 'JOB' } });
    expect(existsSync(path.join(dataDir, 'tmp', 'jobs', 'old-1'))).toBe(false);
    expect(() => manager!.get('nope')).toThrow(/no job with id nope/);
  });

  it('closes within its grace: a worker that ignores the cancel is terminated', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0, cancelGraceMs: 600_000 });
    const job = manager.start('stubborn', {});
    await new Promise<void>((resolve) => manager!.onEvent((e) => e.type === 'progress' && resolve()));
    const t0 = Date.now();
    await manager.close({ graceMs: 300 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(manager.get(job.id).state).toBe('cancelled');
    manager = undefined;
  });

  it('refuses more queued jobs than its limit, with one sentence', async () => {
    manager = await JobManager.open({ dataDir, workerEntry, throttleMs: 0, exclusiveKinds: [], maxQueued: 3 });
    const jobs = [0, 1, 2, 3].map(() => manager!.start('count', { steps: 1000, delayMs: 5 }));
    expect(() => manager!.start('count', { steps: 1 })).toThrow(/^3 jobs are already waiting; wait for some to finish or cancel them before starting more\.$/);
    for (const j of jobs) manager.cancel(j.id);
    await Promise.all(jobs.map((j) => manager!.waitFor(j.id)));
  });
});

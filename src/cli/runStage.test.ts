import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, throwIfCancelled } from '../core/common/errors';
import { runStage } from './runStage';

/** Resolves once `signal` is aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

describe('runStage', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers what the work answers and stops listening for signals afterwards', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const value = await runStage({ quiet: true }, 'nothing was written', async (run) => {
      expect(process.listenerCount('SIGINT')).toBe(before[0]! + 1);
      expect(run.signal.aborted).toBe(false);
      return 42;
    });
    expect(value).toBe(42);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });

  it('cancels on the first Ctrl+C and fails with one sentence saying what was kept', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const before = process.listenerCount('SIGINT');
    const run = runStage({}, 'nothing was written', async ({ signal }) => {
      process.emit('SIGINT', 'SIGINT');
      await aborted(signal);
      throwIfCancelled(signal);
      return 'finished';
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe('Cancelled: nothing was written.');
    expect(err).toContain('Ctrl+C: stopping at the next safe point (nothing was written)');
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it("keeps a stage's own cancel sentence, which names what it saved", async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const own = new CancelledError('Training was cancelled; the checkpoint in m/checkpoint can be resumed with --resume.');
    const run = runStage({}, 'the checkpoint was saved', async ({ signal }) => {
      process.emit('SIGINT', 'SIGINT');
      await aborted(signal);
      throw own;
    });
    await expect(run).rejects.toBe(own);
  });

  it('passes other failures through unchanged', async () => {
    const failure = new Error('disk full');
    await expect(runStage({ quiet: true }, 'nothing was written', () => Promise.reject(failure))).rejects.toBe(failure);
  });
});

/** A worker entry with small runners that exercise the job system in tests (no core stages needed). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CancelledError, throwIfCancelled } from '../../../common/errors';
import { runJobInWorker } from '../worker';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

void runJobInWorker({
  /** Counts to `steps`, writing a staging file as it goes and moving it to `<dataDir>/out/<jobId>.txt` at the end. */
  count: async (params, ctx) => {
    const { steps } = params as { steps: number };
    await fs.mkdir(ctx.stagingDir, { recursive: true });
    const partial = path.join(ctx.stagingDir, 'count.txt');
    for (let i = 1; i <= steps; i++) {
      throwIfCancelled(ctx.signal);
      await fs.appendFile(partial, `${i}\n`);
      ctx.onProgress({ stage: 'count', done: i, total: steps, metrics: { value: i } });
      await tick();
    }
    const final = path.join(ctx.dataDir, 'out', `${ctx.jobId}.txt`);
    await fs.mkdir(path.dirname(final), { recursive: true });
    await fs.rename(partial, final);
    return { steps, file: final, env: ctx.env };
  },
  /** Fails with a typed error. */
  fail: async () => {
    const { DataError } = await import('../../../common/errors');
    throw new DataError('The test data is missing.', { path: '/nowhere/data.json' });
  },
  /** Awaits only resolved promises, so the event loop never turns and no message arrives: only the shared flag can stop it. */
  busyAwait: async (_params, ctx) => {
    ctx.onProgress({ stage: 'busy', done: 0 });
    for (let i = 0; ; i++) {
      await Promise.resolve(i);
      if (ctx.signal.aborted) throw new CancelledError('Stopped at the next safe point.');
    }
  },
  /** Never looks at its signal: a synchronous busy loop, so only terminate() stops it. */
  stubborn: async (_params, ctx) => {
    await fs.mkdir(ctx.stagingDir, { recursive: true });
    await fs.writeFile(path.join(ctx.stagingDir, 'junk.bin'), 'x');
    ctx.onProgress({ stage: 'spin', done: 0 });
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      /* spin */
    }
    return {};
  },
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobContext } from '../core/node/jobs/types';
import { hideInternalPaths, inUserWords } from './userPaths';

const dataDir = path.resolve('/srv/cadenza-data');
const upload = path.join(dataDir, 'uploads', 'Mozart', 'k 331.mid');
const staged = path.join(dataDir, 'tmp', 'jobs', 'job-1a2b', 'renders', 'piece-7.wav');

describe('hideInternalPaths', () => {
  it('names an upload as the user dropped it, folder included', () => {
    expect(hideInternalPaths(`${upload} is not a MIDI file: no MThd header.`, dataDir)).toBe(
      `${path.join('Mozart', 'k 331.mid')} is not a MIDI file: no MThd header.`,
    );
  });

  it('names a staged file by its own name', () => {
    expect(hideInternalPaths(`Could not write ${staged}: disk full.`, dataDir)).toBe(
      'Could not write piece-7.wav: disk full.',
    );
  });

  it('leaves other paths alone', () => {
    const corpus = path.join(dataDir, 'generated', 'j1', 'piece-1.mid');
    expect(hideInternalPaths(`Rendered ${corpus}.`, dataDir)).toBe(`Rendered ${corpus}.`);
  });
});

describe('inUserWords', () => {
  const ctx = (events: unknown[]): JobContext => ({
    jobId: 'j',
    dataDir,
    stagingDir: path.join(dataDir, 'tmp', 'jobs', 'j'),
    env: {},
    onProgress: (e) => events.push(e),
    signal: new AbortController().signal,
  });

  it('cleans progress lines, the fields meant for reading, and errors', async () => {
    const events: unknown[] = [];
    const runner = inUserWords(
      async (_params, c) => {
        c.onProgress({ stage: 'import', done: 0, total: 1, message: upload });
        return { failed: [{ path: upload, error: { message: `${upload} has no notes.` } }], files: [upload] };
      },
      ['failed'],
    );
    const result = await runner({}, ctx(events));
    expect(events).toEqual([
      { stage: 'import', done: 0, total: 1, message: path.join('Mozart', 'k 331.mid') },
    ]);
    expect(result).toEqual({
      failed: [
        {
          path: path.join('Mozart', 'k 331.mid'),
          error: { message: `${path.join('Mozart', 'k 331.mid')} has no notes.` },
        },
      ],
      // Files the job made keep their real paths: the page opens them.
      files: [upload],
    });
    const failing = inUserWords(async () => {
      throw new Error(`Could not write ${staged}: disk full.`);
    });
    await expect(failing({}, ctx([]))).rejects.toThrow('Could not write piece-7.wav: disk full.');
  });
});

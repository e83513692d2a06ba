import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint';

/** A small checkpoint whose state and tensors say which save made it. */
function checkpointAt(step: number): Checkpoint<{ step: number }> {
  return {
    state: { step },
    tensors: {
      weights: new Map([['w', Float32Array.from([step, step + 0.5])]]),
      m: new Map([['w', Float32Array.from([-step])]]),
    },
  };
}

const diskFull = (): Error => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });

describe('saveCheckpoint', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-checkpoint-'));
    dir = path.join(root, 'checkpoint');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('writes a checkpoint that loads back the same', async () => {
    await saveCheckpoint(dir, checkpointAt(1));
    await saveCheckpoint(dir, checkpointAt(2));
    const back = await loadCheckpoint<{ step: number }>(dir);
    expect(back.state).toEqual({ step: 2 });
    expect([...back.tensors.weights!.get('w')!]).toEqual([2, 2.5]);
    expect([...back.tensors.m!.get('w')!]).toEqual([-2]);
    expect(await fs.readdir(root)).toEqual(['checkpoint']);
  });

  it('removes the partial checkpoint.tmp when the disk fills while writing it, keeping the previous one', async () => {
    await saveCheckpoint(dir, checkpointAt(1));
    const realOpen = fs.open.bind(fs);
    let writes = 0;
    vi.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      // The first tensor file is written; the second fails as on a full disk.
      if (String(args[0]).startsWith(`${dir}.tmp`) && args[1] === 'w' && ++writes === 2)
        handle.writeFile = () => Promise.reject(diskFull());
      return handle;
    });
    await expect(saveCheckpoint(dir, checkpointAt(2))).rejects.toThrow('the disk is full');
    vi.restoreAllMocks();
    expect(writes).toBe(2);
    expect(existsSync(`${dir}.tmp`)).toBe(false);
    expect((await loadCheckpoint(dir)).state).toEqual({ step: 1 });
  });

  it('keeps checkpoint.old until the new checkpoint is in place, after an interrupted swap', async () => {
    // A crash between moving the checkpoint aside and moving the new one in left only checkpoint.old.
    await saveCheckpoint(dir, checkpointAt(1));
    await fs.rename(dir, `${dir}.old`);
    expect(hasCheckpoint(dir)).toBe(true);
    expect((await loadCheckpoint(dir)).state).toEqual({ step: 1 });

    // The next save crashes just before its last rename: what is on disk then must still resume.
    const realRename = fs.rename.bind(fs);
    let atCrash: unknown = 'not reached';
    vi.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      if (String(from) === `${dir}.tmp` && String(to) === dir) {
        atCrash = hasCheckpoint(dir) ? (await loadCheckpoint(dir)).state : 'no checkpoint';
        throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      }
      return realRename(from, to);
    });
    await expect(saveCheckpoint(dir, checkpointAt(2))).rejects.toThrow(`Could not write ${dir}`);
    vi.restoreAllMocks();
    expect(atCrash).toEqual({ step: 1 });
    expect((await loadCheckpoint(dir)).state).toEqual({ step: 1 });
    expect(existsSync(`${dir}.tmp`)).toBe(false);

    // And a save that goes through replaces it and tidies up.
    await saveCheckpoint(dir, checkpointAt(3));
    expect((await loadCheckpoint(dir)).state).toEqual({ step: 3 });
    expect(await fs.readdir(root)).toEqual(['checkpoint']);
  });

  it('leaves the previous checkpoint where resume finds it at every step of a normal swap', async () => {
    await saveCheckpoint(dir, checkpointAt(1));
    const realRename = fs.rename.bind(fs);
    const seen: unknown[] = [];
    vi.spyOn(fs, 'rename').mockImplementation(async (from, to) => {
      seen.push(hasCheckpoint(dir) ? (await loadCheckpoint(dir)).state : 'no checkpoint');
      await realRename(from, to);
      seen.push(hasCheckpoint(dir) ? (await loadCheckpoint(dir)).state : 'no checkpoint');
    });
    await saveCheckpoint(dir, checkpointAt(2));
    vi.restoreAllMocks();
    expect(seen).not.toContain('no checkpoint');
    expect(seen.at(-1)).toEqual({ step: 2 });
  });
});

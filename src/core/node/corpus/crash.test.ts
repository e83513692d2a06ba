import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Song } from '../../common/song/song';
import { emptySong } from '../../common/song/song';
import { encodeMidi } from '../midi/write';
import { projectRoot } from '../paths';
import { CorpusStore } from './store';

function song(seed: number): Song {
  const s = emptySong(480);
  // A note at a tick of its own makes every seed's bytes different.
  s.notes.push({
    pitch: 60,
    velocity: 70,
    startTicks: 2000 + seed,
    endTicks: 2100 + seed,
    track: 0,
    channel: 0,
  });
  for (let i = 0; i < 8; i++)
    s.notes.push({
      pitch: 40 + ((seed + i * 3) % 50),
      velocity: 70,
      startTicks: i * 120,
      endTicks: i * 120 + 100,
      track: 0,
      channel: 0,
    });
  return s;
}

const FILES = 300;

describe('a corpus import killed with SIGKILL', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-crash-'));
    await fs.mkdir(path.join(tmp, 'first'));
    await fs.mkdir(path.join(tmp, 'many'));
    for (let i = 0; i < 3; i++) await fs.writeFile(path.join(tmp, 'first', `p${i}.mid`), encodeMidi(song(i)));
    for (let i = 3; i < FILES; i++)
      await fs.writeFile(path.join(tmp, 'many', `p${i}.mid`), encodeMidi(song(i)));
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('leaves a valid index, a stale lock the next import breaks, and leftovers rescan removes', async () => {
    const dataDir = path.join(tmp, 'data');
    const store = await CorpusStore.open(dataDir);
    await store.import([path.join(tmp, 'first')]);
    const before = await store.list();
    const lockFile = path.join(store.dir, '.lock');
    const blobCount = (): number =>
      readdirSync(path.join(store.dir, 'blobs'), { recursive: true }).filter((f) =>
        String(f).endsWith('.mid'),
      ).length;

    const args = [
      'bin/cadenza.mjs',
      'corpus',
      'import',
      path.join(tmp, 'many'),
      '--data-dir',
      dataDir,
      '--quiet',
    ];
    const child = spawn(process.execPath, args, { cwd: projectRoot(), stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill it while it holds the lock and has written some of its blobs: in the middle of its work.
    const started = Date.now();
    while (
      !(existsSync(lockFile) && blobCount() > 20) &&
      child.exitCode === null &&
      Date.now() - started < 60_000
    )
      await new Promise((r) => setTimeout(r, 2));
    const killedMidway = child.exitCode === null;
    child.kill('SIGKILL');
    await exited;

    const after = await CorpusStore.open(dataDir);
    const listed = await after.list();
    // Either the kill landed before the import's single index write (almost always) or after it; never in between.
    expect([3, FILES]).toContain(listed.length);
    if (listed.length === 3) expect(listed).toEqual(before);
    expect(existsSync(lockFile)).toBe(killedMidway);
    // The next change breaks the dead process's lock; the blobs it wrote are named by no entry, so rescan deletes them.
    const rescan = await after.rescan();
    expect(rescan).toMatchObject({ missing: [], damaged: [] });
    if (killedMidway && listed.length === 3) expect(rescan.orphansRemoved).toBeGreaterThan(0);
    expect(blobCount()).toBe(listed.length);
    const again = await after.import([path.join(tmp, 'many')]);
    expect(again.added.length + again.duplicates.length).toBe(FILES - 3);
    expect(await after.list()).toHaveLength(FILES);
  });
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IoError } from '../../common/errors';
import { checkWritableDir, ensureWritableDir } from './writableDir';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-writable-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('writable folders', () => {
  it('checks a folder that does not exist yet without creating it, and ensure makes it', async () => {
    const out = path.join(dir, 'a', 'b');
    await checkWritableDir(out);
    await expect(fs.stat(out)).rejects.toThrow();
    await ensureWritableDir(out);
    expect((await fs.stat(out)).isDirectory()).toBe(true);
  });

  it('refuses a path through a file with one sentence naming the folder, creating nothing', async () => {
    const blocker = path.join(dir, 'blocker');
    await fs.writeFile(blocker, 'a file where a folder should be');
    for (const target of [blocker, path.join(blocker, 'below')]) {
      for (const check of [checkWritableDir, ensureWritableDir]) {
        const error = await check(target).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IoError);
        expect((error as IoError).message).toBe(`Could not write to ${target}: a part of that path is a file, not a folder.`);
      }
    }
  });
});

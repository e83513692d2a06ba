import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropGrant } from './drop';

describe('dropGrant (Electron drops: a path string from the window)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cadenza-drop-'));
  const music = path.join(root, 'music');
  mkdirSync(music);
  mkdirSync(path.join(root, '.ssh'));
  writeFileSync(path.join(music, 'a.mid'), 'x');
  writeFileSync(path.join(root, '.ssh', 'id_rsa'), 'secret');
  writeFileSync(path.join(root, 'notes.txt'), 'x');
  symlinkSync(path.join(root, '.ssh', 'id_rsa'), path.join(music, 'key.mid'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('grants reading a MIDI file or a folder of them', async () => {
    expect(await dropGrant(path.join(music, 'a.mid'))).toEqual({ path: path.join(music, 'a.mid'), folder: false });
    expect(await dropGrant(music)).toEqual({ path: music, folder: true });
  });

  it('refuses what a real drop of music would not be, with one sentence naming it', async () => {
    for (const p of [path.join(root, 'notes.txt'), path.join(root, '.ssh', 'id_rsa'), path.join(root, '.ssh'), path.join(music, 'key.mid'), '/', os.homedir(), path.join(root, 'missing.mid')])
      await expect(dropGrant(p), p).rejects.toMatchObject({ name: 'ApiError', message: expect.stringMatching(/^\S+ .*\.$/) });
    await expect(dropGrant('relative/a.mid')).rejects.toMatchObject({ name: 'ApiError' });
    await expect(dropGrant(42)).rejects.toMatchObject({ name: 'ApiError' });
  });
});

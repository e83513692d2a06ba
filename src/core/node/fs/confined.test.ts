import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confinedFile } from './confined';

describe('confinedFile (the UI file route of browser mode and Electron)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cadenza-confined-'));
  const ui = path.join(root, 'ui');
  const outside = path.join(root, 'outside');
  mkdirSync(path.join(ui, 'assets'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(ui, 'index.html'), 'page');
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  symlinkSync(path.join(outside, 'secret.txt'), path.join(ui, 'assets', 'link.txt'));
  symlinkSync(outside, path.join(ui, 'out'));
  symlinkSync(path.join(ui, 'index.html'), path.join(ui, 'assets', 'inner.html'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('answers real files inside the root, links that stay inside included', async () => {
    expect(await confinedFile(ui, 'index.html')).toBe(path.join(ui, 'index.html'));
    expect(await confinedFile(ui, 'assets/inner.html')).toBe(path.join(ui, 'index.html'));
  });

  it('refuses links that leave the root, ../, folders and missing files', async () => {
    for (const rel of ['assets/link.txt', 'out/secret.txt', '../outside/secret.txt', 'assets', 'missing.js', '/etc/passwd']) {
      expect(await confinedFile(ui, rel), rel).toBeNull();
    }
  });
});

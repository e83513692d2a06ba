import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDir, dataDirPointerFile, defaultDataDir } from './paths';

// defaultDataDir() follows XDG_CONFIG_HOME on Linux only; elsewhere these tests have nothing to redirect.
describe.skipIf(process.platform !== 'linux')('dataDir', () => {
  const saved = { xdg: process.env.XDG_CONFIG_HOME, data: process.env.CADENZA_DATA_DIR };
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cadenza-paths-'));
    process.env.XDG_CONFIG_HOME = tmp;
    delete process.env.CADENZA_DATA_DIR;
  });
  afterEach(() => {
    for (const [key, value] of [['XDG_CONFIG_HOME', saved.xdg], ['CADENZA_DATA_DIR', saved.data]] as const)
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    rmSync(tmp, { recursive: true, force: true });
  });

  const point = (content: string): void => {
    mkdirSync(path.dirname(dataDirPointerFile()), { recursive: true });
    writeFileSync(dataDirPointerFile(), content);
  };

  it('is the default folder until a folder is chosen in the app, then that folder (the CLI follows the app)', () => {
    expect(defaultDataDir()).toBe(path.join(tmp, 'cadenza'));
    expect(dataDir()).toBe(defaultDataDir());
    const chosen = path.join(tmp, 'elsewhere');
    point(JSON.stringify({ dataDir: chosen }));
    expect(dataDir()).toBe(chosen);
  });

  it('ignores a damaged or relative pointer, and CADENZA_DATA_DIR overrides every choice', () => {
    point('{ not json');
    expect(dataDir()).toBe(defaultDataDir());
    point(JSON.stringify({ dataDir: 'relative/folder' }));
    expect(dataDir()).toBe(defaultDataDir());
    point(JSON.stringify({ dataDir: path.join(tmp, 'chosen') }));
    process.env.CADENZA_DATA_DIR = path.join(tmp, 'env');
    expect(dataDir()).toBe(path.join(tmp, 'env'));
  });
});

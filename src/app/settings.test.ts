import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SoundFontError, UsageError } from '../core/common/errors';
import { SettingsStore } from './settings';

describe('SettingsStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from defaults, saves changes to settings.json and reads them back', async () => {
    const store = await SettingsStore.open(dir);
    expect(store.get()).toEqual({ dataDir: dir, soundFont: null, backend: 'auto', blasLibrary: null, engine: 'auto', sampleRateHz: 44100 });
    await store.update({ engine: 'wasm', sampleRateHz: 48000 });
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8'))).toEqual({ soundFont: null, backend: 'auto', blasLibrary: null, engine: 'wasm', sampleRateHz: 48000 });
    expect((await SettingsStore.open(dir)).get()).toMatchObject({ engine: 'wasm', sampleRateHz: 48000 });
  });

  it('refuses a SoundFont that is not a file, keeping the old settings', async () => {
    const store = await SettingsStore.open(dir);
    await expect(store.update({ soundFont: path.join(dir, 'none.sf2'), engine: 'native' })).rejects.toBeInstanceOf(SoundFontError);
    expect(store.get().engine).toBe('auto');
  });

  it('keeps a BLAS provider and library path, and refuses a library that is not a file', async () => {
    const store = await SettingsStore.open(dir);
    const lib = path.join(dir, 'libopenblas.so');
    writeFileSync(lib, '');
    await store.update({ backend: 'blas', blasLibrary: lib });
    expect((await SettingsStore.open(dir)).get()).toMatchObject({ backend: 'blas', blasLibrary: lib });
    await expect(store.update({ blasLibrary: path.join(dir, 'none.so') })).rejects.toBeInstanceOf(UsageError);
    expect(store.get().blasLibrary).toBe(lib);
  });

  it('keeps the valid values of a damaged or hand-edited file and defaults the rest', async () => {
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ backend: 'wasm', engine: 'quantum', sampleRateHz: 3 }));
    expect((await SettingsStore.open(dir)).get()).toMatchObject({ backend: 'wasm', engine: 'auto', sampleRateHz: 44100 });
    // 22,050 Hz was once offered; the synthesizer renders only 44,100 and 48,000.
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ sampleRateHz: 22050 }));
    expect((await SettingsStore.open(dir)).get().sampleRateHz).toBe(44100);
    writeFileSync(path.join(dir, 'settings.json'), '{ not json');
    expect((await SettingsStore.open(dir)).get().backend).toBe('auto');
  });
});

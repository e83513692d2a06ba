/**
 * The user's settings, kept in `<dataDir>/settings.json` (written atomically). A missing or
 * damaged file gives the defaults, so a bad edit by hand never stops the app from starting.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { SoundFontError, UsageError } from '../core/common/errors';
import { readJson, writeJsonAtomic } from '../core/node/fs/atomic';
import { DEFAULT_SAMPLE_RATE_HZ, ENGINE_CHOICES, SAMPLE_RATES_HZ, type EngineChoice, type SampleRateHz } from '../core/common/render/settings';

/** The settings (the api's `Settings`). */
export interface AppSettings {
  dataDir: string;
  /** SoundFont file; null = the bundled default. */
  soundFont: string | null;
  /** Kernel provider for training: `auto` (the fastest present), `blas` (a native BLAS), or a TF.js backend. */
  backend: 'auto' | 'blas' | 'webgpu' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
  /** A BLAS library file to try before the system's (e.g. libopenblas.dll on Windows); null = the system's. */
  blasLibrary: string | null;
  /** Synth engine. */
  engine: EngineChoice;
  /** Render sample rate in Hz: one the synthesizer renders (`SAMPLE_RATES_HZ`). */
  sampleRateHz: SampleRateHz;
}

/** A change to the settings (the data folder cannot change while the backend runs). */
export type AppSettingsPatch = Partial<Omit<AppSettings, 'dataDir'>>;

const DEFAULTS: Omit<AppSettings, 'dataDir'> = { soundFont: null, backend: 'auto', blasLibrary: null, engine: 'auto', sampleRateHz: DEFAULT_SAMPLE_RATE_HZ };
const BACKENDS: ReadonlySet<string> = new Set(['auto', 'blas', 'webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
const ENGINES: ReadonlySet<string> = new Set(ENGINE_CHOICES);
const RENDER_RATES_HZ: readonly number[] = SAMPLE_RATES_HZ;

/** Reads and writes `settings.json`. */
export class SettingsStore {
  private current: AppSettings;

  private constructor(private readonly file: string, settings: AppSettings) {
    this.current = settings;
  }

  /** Loads the settings of `dataDir`, keeping each valid stored value and defaulting the rest. */
  static async open(dataDir: string): Promise<SettingsStore> {
    const file = path.join(dataDir, 'settings.json');
    const stored = existsSync(file) ? await readJson<Record<string, unknown>>(file).catch(() => ({}) as Record<string, unknown>) : {};
    const s: AppSettings = { dataDir, ...DEFAULTS };
    if (typeof stored.soundFont === 'string' || stored.soundFont === null) s.soundFont = stored.soundFont as string | null;
    if (typeof stored.backend === 'string' && BACKENDS.has(stored.backend)) s.backend = stored.backend as AppSettings['backend'];
    if (typeof stored.blasLibrary === 'string' || stored.blasLibrary === null) s.blasLibrary = stored.blasLibrary as string | null;
    if (typeof stored.engine === 'string' && ENGINES.has(stored.engine)) s.engine = stored.engine as AppSettings['engine'];
    // Only rates the synthesizer renders; an older file's 22,050 Hz falls back to the default.
    if (typeof stored.sampleRateHz === 'number' && RENDER_RATES_HZ.includes(stored.sampleRateHz)) s.sampleRateHz = stored.sampleRateHz as AppSettings['sampleRateHz'];
    return new SettingsStore(file, s);
  }

  /** The current settings (a copy). */
  get(): AppSettings {
    return { ...this.current };
  }

  /** Applies a validated patch, checks that a chosen SoundFont is a readable file, and saves. */
  async update(patch: AppSettingsPatch): Promise<AppSettings> {
    if (patch.soundFont) {
      const stat = await fs.stat(patch.soundFont).catch(() => null);
      if (!stat?.isFile()) throw new SoundFontError(`The SoundFont ${patch.soundFont} does not exist or is not a file.`, { path: patch.soundFont, field: 'soundFont' });
    }
    if (patch.blasLibrary) {
      const stat = await fs.stat(patch.blasLibrary).catch(() => null);
      if (!stat?.isFile())
        throw new UsageError(`The BLAS library ${patch.blasLibrary} does not exist or is not a file.`, { path: patch.blasLibrary, field: 'blasLibrary' });
    }
    const next: AppSettings = { ...this.current };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    const { dataDir: _dataDir, ...stored } = next;
    await writeJsonAtomic(this.file, stored);
    this.current = next;
    return this.get();
  }
}

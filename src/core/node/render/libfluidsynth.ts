/**
 * The system FluidSynth library (libfluidsynth 2.x) through koffi: finds it, loads it once,
 * and exposes the few C functions the native engine calls, with their C signatures.
 */
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { RenderError } from '../../common/errors';

/** An opaque C pointer (fluid_settings_t*, fluid_synth_t*, fluid_player_t*). */
export type CPointer = unknown;

/** The libfluidsynth functions Cadenza uses, bound with their C signatures. */
export interface LibFluidSynth {
  /** The path or name the library was loaded from. */
  libraryPath: string;
  /** FluidSynth's version, e.g. '2.3.1'. */
  version: string;
  new_fluid_settings(): CPointer;
  delete_fluid_settings(settings: CPointer): void;
  fluid_settings_setstr(settings: CPointer, name: string, value: string): number;
  fluid_settings_setint(settings: CPointer, name: string, value: number): number;
  fluid_settings_setnum(settings: CPointer, name: string, value: number): number;
  new_fluid_synth(settings: CPointer): CPointer;
  delete_fluid_synth(synth: CPointer): void;
  fluid_synth_sfload(synth: CPointer, path: string, resetPresets: number): number;
  fluid_synth_system_reset(synth: CPointer): number;
  fluid_synth_get_sfont_by_id(synth: CPointer, id: number): CPointer;
  fluid_synth_add_sfont(synth: CPointer, sfont: CPointer): number;
  fluid_synth_remove_sfont(synth: CPointer, sfont: CPointer): number;
  fluid_synth_get_active_voice_count(synth: CPointer): number;
  fluid_synth_write_float(
    synth: CPointer,
    lengthFrames: number,
    left: CPointer,
    leftOffset: number,
    leftIncrement: number,
    right: CPointer,
    rightOffset: number,
    rightIncrement: number,
  ): number;
  new_fluid_player(synth: CPointer): CPointer;
  delete_fluid_player(player: CPointer): void;
  fluid_player_add_mem(player: CPointer, buffer: Uint8Array, length: number): number;
  fluid_player_play(player: CPointer): number;
  fluid_player_stop(player: CPointer): number;
  fluid_player_get_status(player: CPointer): number;
  /** FluidSynth's log lines since the last call; always empty, since logging is switched off (see `bind`). */
  takeLogMessages(): string[];
}

/** `fluid_player_get_status` while the player still has events to play. */
export const FLUID_PLAYER_PLAYING = 1;

/** File names to try when the user gives no library path, most specific first, per platform. */
function candidatePaths(): string[] {
  if (process.platform === 'darwin')
    return [
      '/opt/homebrew/lib/libfluidsynth.3.dylib',
      '/usr/local/lib/libfluidsynth.3.dylib',
      '/opt/local/lib/libfluidsynth.3.dylib',
      'libfluidsynth.3.dylib',
    ];
  if (process.platform === 'win32')
    return ['libfluidsynth-3.dll', 'fluidsynth.dll', 'C:\\tools\\fluidsynth\\bin\\libfluidsynth-3.dll'];
  const arch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [
    `/usr/lib/${arch}/libfluidsynth.so.3`,
    '/usr/lib64/libfluidsynth.so.3',
    '/usr/lib/libfluidsynth.so.3',
    '/usr/local/lib/libfluidsynth.so.3',
    // Last, let the dynamic loader search LD_LIBRARY_PATH and its cache.
    'libfluidsynth.so.3',
  ];
}

const loaded = new Map<string, LibFluidSynth>();
let autoLoaded: LibFluidSynth | undefined;

/**
 * Loads libfluidsynth (once per path) from `libraryPath`, or else from the usual places for
 * this platform. Throws `RenderError` naming what was tried when it cannot be loaded.
 */
export function loadLibFluidSynth(libraryPath?: string): LibFluidSynth {
  if (libraryPath !== undefined) {
    const cached = loaded.get(libraryPath);
    if (cached) return cached;
    if (!existsSync(libraryPath))
      throw new RenderError(`The FluidSynth library ${libraryPath} does not exist.`, {
        path: libraryPath,
        field: 'libraryPath',
      });
    try {
      const lib = bind(koffi.load(libraryPath), libraryPath);
      loaded.set(libraryPath, lib);
      return lib;
    } catch (error) {
      throw new RenderError(
        `Could not load the FluidSynth library ${libraryPath}: ${(error as Error).message}.`,
        {
          path: libraryPath,
          field: 'libraryPath',
          cause: error,
        },
      );
    }
  }
  if (autoLoaded) return autoLoaded;
  const tried: string[] = [];
  for (const candidate of candidatePaths()) {
    // Absolute candidates that are absent are skipped quietly; bare names go to the loader.
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    tried.push(candidate);
    try {
      autoLoaded = bind(koffi.load(candidate), candidate);
      return autoLoaded;
    } catch {
      /* try the next one */
    }
  }
  throw new RenderError(
    `The FluidSynth library (libfluidsynth 2.x) was not found (tried ${tried.join(', ') || 'nothing'}); install it (Debian: apt-get install libfluidsynth3) or use the wasm engine.`,
    { field: 'engine' },
  );
}

function bind(lib: koffi.IKoffiLib, libraryPath: string): LibFluidSynth {
  const f = (signature: string): ((...args: unknown[]) => unknown) =>
    lib.func(signature) as (...args: unknown[]) => unknown;
  const versionString = f('const char *fluid_version_str(void)');
  const version = String(versionString());
  if (!/^2\./.test(version))
    throw new RenderError(`The FluidSynth library ${libraryPath} is version ${version}; Cadenza needs 2.x.`, {
      path: libraryPath,
    });

  // FluidSynth prints warnings (e.g. unknown SoundFont generators) to stderr; silence them. No JS
  // callback collects them instead: the log function is global to the process, and worker threads
  // each load the library, so a callback would be called on another thread's isolate.
  const setLog = f('void *fluid_set_log_function(int level, void *fun, void *data)');
  for (let level = 0; level <= 4; level++) setLog(level, null, null);

  return {
    libraryPath,
    version,
    new_fluid_settings: f('void *new_fluid_settings(void)'),
    delete_fluid_settings: f('void delete_fluid_settings(void *settings)'),
    fluid_settings_setstr: f('int fluid_settings_setstr(void *settings, const char *name, const char *str)'),
    fluid_settings_setint: f('int fluid_settings_setint(void *settings, const char *name, int val)'),
    fluid_settings_setnum: f('int fluid_settings_setnum(void *settings, const char *name, double val)'),
    new_fluid_synth: f('void *new_fluid_synth(void *settings)'),
    delete_fluid_synth: f('void delete_fluid_synth(void *synth)'),
    fluid_synth_sfload: f('int fluid_synth_sfload(void *synth, const char *filename, int reset_presets)'),
    fluid_synth_system_reset: f('int fluid_synth_system_reset(void *synth)'),
    fluid_synth_get_sfont_by_id: f('void *fluid_synth_get_sfont_by_id(void *synth, int id)'),
    fluid_synth_add_sfont: f('int fluid_synth_add_sfont(void *synth, void *sfont)'),
    fluid_synth_remove_sfont: f('int fluid_synth_remove_sfont(void *synth, void *sfont)'),
    fluid_synth_get_active_voice_count: f('int fluid_synth_get_active_voice_count(void *synth)'),
    fluid_synth_write_float: f(
      'int fluid_synth_write_float(void *synth, int len, float *lout, int loff, int lincr, float *rout, int roff, int rincr)',
    ),
    new_fluid_player: f('void *new_fluid_player(void *synth)'),
    delete_fluid_player: f('void delete_fluid_player(void *player)'),
    fluid_player_add_mem: f('int fluid_player_add_mem(void *player, const uint8_t *buffer, size_t len)'),
    fluid_player_play: f('int fluid_player_play(void *player)'),
    fluid_player_stop: f('int fluid_player_stop(void *player)'),
    fluid_player_get_status: f('int fluid_player_get_status(void *player)'),
    takeLogMessages: () => [],
  } as LibFluidSynth;
}

/**
 * The wasm FluidSynth backend: the WebAssembly build of libfluidsynth that ships inside the
 * `js-synthesizer` package (with libsndfile, which SF3 SoundFonts need to decode their samples),
 * driven through the same C API as the native library, so audio works with no system FluidSynth.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { RenderError } from '../../common/errors';
import type { FluidBackend } from './backend';

/** The emscripten module's surface that Cadenza uses. */
interface WasmModule {
  HEAPU8: Uint8Array;
  FS: {
    writeFile(path: string, data: Uint8Array): void;
    unlink(path: string): void;
    mkdirTree?(path: string): void;
  };
  ccall(name: string, returnType: 'number' | 'string' | null, argTypes: string[], args: unknown[]): unknown;
  calledRun?: boolean;
  [exported: `_${string}`]: (...args: number[]) => number;
}

/**
 * The libfluidsynth build used: 2.3.0 with libsndfile (SF3 needs its Ogg Vorbis decoder). It renders
 * within float rounding of the native 2.3 library (about 110 dB SNR); the 2.4.6 build that
 * js-synthesizer also ships plays about 3.5 dB louder than 2.3, which would break agreement.
 */
const WASM_BUILD = 'js-synthesizer/externals/libfluidsynth-2.3.0-with-libsndfile.js';

let modulePromise: Promise<WasmModule> | undefined;

/** Loads the wasm module once per process (or worker); later calls share it. */
function loadModule(): Promise<WasmModule> {
  modulePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    let file: string;
    let source: string;
    try {
      file = require.resolve(WASM_BUILD);
      source = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new RenderError(
        `The wasm FluidSynth build (${WASM_BUILD}) is missing; reinstall the js-synthesizer package.`,
        {
          field: 'engine',
          cause: error,
        },
      );
    }
    // The build is a classic script that declares a global `Module`; run it in a function scope
    // with Node's require, handing it our own `Module` object so we hear when the runtime is ready.
    const factory = new Function(
      'require',
      '__dirname',
      '__filename',
      'module',
      'Module',
      `${source}\nreturn Module;`,
    ) as (...args: unknown[]) => WasmModule;
    let ready!: () => void;
    const initialized = new Promise<void>((resolve) => (ready = resolve));
    const mod = factory(require, path.dirname(file), file, {}, { onRuntimeInitialized: () => ready() });
    if (mod.calledRun) ready();
    await initialized;
    // Logging off: FluidSynth would print SoundFont warnings to stdout from inside wasm.
    for (let level = 0; level <= 4; level++) mod._fluid_set_log_function!(level, 0, 0);
    return mod;
  })();
  modulePromise.catch(() => (modulePromise = undefined));
  return modulePromise;
}

let fileCounter = 0;

/** Loads the wasm FluidSynth (once) and returns a backend on it; throws `RenderError` if the build is missing. */
export async function createWasmBackend(): Promise<FluidBackend> {
  const mod = await loadModule();
  const fn = (name: string): ((...args: number[]) => number) => {
    const f = mod[`_${name}`];
    if (typeof f !== 'function')
      throw new RenderError(`The wasm FluidSynth build lacks ${name}.`, { field: 'engine' });
    return f;
  };
  const malloc = fn('malloc');
  const free = fn('free');
  const writeFloat = fn('fluid_synth_write_float');
  const playerStatus = fn('fluid_player_get_status');
  const version = String(mod.ccall('fluid_version_str', 'string', [], []));
  // One scratch buffer for rendering, grown on demand; FluidSynth writes into the wasm heap and we copy out.
  let scratch = 0;
  let scratchFrames = 0;
  const virtualFiles: string[] = [];
  return {
    engine: 'wasm',
    version,
    newSettings: () => fn('new_fluid_settings')(),
    deleteSettings: (settings) => void fn('delete_fluid_settings')(settings as number),
    setStr: (settings, name, value) =>
      mod.ccall(
        'fluid_settings_setstr',
        'number',
        ['number', 'string', 'string'],
        [settings, name, value],
      ) === 0,
    setInt: (settings, name, value) =>
      mod.ccall(
        'fluid_settings_setint',
        'number',
        ['number', 'string', 'number'],
        [settings, name, value],
      ) === 0,
    setNum: (settings, name, value) =>
      mod.ccall(
        'fluid_settings_setnum',
        'number',
        ['number', 'string', 'number'],
        [settings, name, value],
      ) === 0,
    newSynth: (settings) => fn('new_fluid_synth')(settings as number),
    deleteSynth: (synth) => void fn('delete_fluid_synth')(synth as number),
    loadSoundFont: (synth, file) => {
      // The wasm build reads files from its own in-memory file system; copy the SoundFont in.
      // Keep the extension: FluidSynth identifies the SoundFont by content, but names help its logs.
      const virtual = `/cadenza-sf-${fileCounter++}-${path.basename(file).replace(/[^\w.-]/g, '_')}`;
      mod.FS.writeFile(virtual, readFileSync(file));
      virtualFiles.push(virtual);
      const id = mod.ccall(
        'fluid_synth_sfload',
        'number',
        ['number', 'string', 'number'],
        [synth, virtual, 1],
      ) as number;
      // FluidSynth has decoded the samples into its own memory; the file copy is no longer needed.
      mod.FS.unlink(virtual);
      virtualFiles.pop();
      return id;
    },
    getSoundFont: (synth, id) => fn('fluid_synth_get_sfont_by_id')(synth as number, id),
    addSoundFont: (synth, soundFont) => fn('fluid_synth_add_sfont')(synth as number, soundFont as number),
    removeSoundFont: (synth, soundFont) =>
      void fn('fluid_synth_remove_sfont')(synth as number, soundFont as number),
    systemReset: (synth) => void fn('fluid_synth_system_reset')(synth as number),
    activeVoiceCount: (synth) => fn('fluid_synth_get_active_voice_count')(synth as number),
    writeFloat: (synth, lengthFrames, left, right, offsetFrames) => {
      if (lengthFrames > scratchFrames) {
        if (scratch) free(scratch);
        scratch = malloc(lengthFrames * 8);
        scratchFrames = lengthFrames;
      }
      writeFloat(synth as number, lengthFrames, scratch, 0, 1, scratch + lengthFrames * 4, 0, 1);
      // Views are made after the call: the heap may have grown (and moved) during it.
      const heap = new Float32Array(mod.HEAPU8.buffer, scratch, lengthFrames * 2);
      left.set(heap.subarray(0, lengthFrames), offsetFrames);
      right.set(heap.subarray(lengthFrames), offsetFrames);
    },
    newPlayer: (synth) => fn('new_fluid_player')(synth as number),
    deletePlayer: (player) => void fn('delete_fluid_player')(player as number),
    playerAddMidi: (player, bytes) => {
      const ptr = malloc(bytes.length);
      try {
        mod.HEAPU8.set(bytes, ptr);
        return fn('fluid_player_add_mem')(player as number, ptr, bytes.length) === 0;
      } finally {
        // fluid_player_add_mem copies the data, so the buffer can go at once.
        free(ptr);
      }
    },
    playerPlay: (player) => fn('fluid_player_play')(player as number) === 0,
    playerIsPlaying: (player) => playerStatus(player as number) === 1,
    takeLogMessages: () => [],
    dispose: () => {
      if (scratch) free(scratch);
      scratch = 0;
      scratchFrames = 0;
      for (const file of virtualFiles.splice(0)) mod.FS.unlink(file);
    },
  };
}

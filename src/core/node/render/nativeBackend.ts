/** The native FluidSynth backend: the system libfluidsynth through koffi. */
import koffi from 'koffi';
import type { FluidBackend, FluidHandle } from './backend';
import { FLUID_PLAYER_PLAYING, loadLibFluidSynth } from './libfluidsynth';

/** Opens the system libfluidsynth (from `libraryPath`, or the usual places); throws `RenderError` if absent. */
export function createNativeBackend(libraryPath?: string): FluidBackend {
  const lib = loadLibFluidSynth(libraryPath);
  // FluidSynth renders into native scratch memory that JS reads through a view: passing JS typed
  // arrays instead makes koffi copy the whole array in and out on every call, which is slow.
  let scratch: unknown = null;
  let scratchView = new Float32Array(0);
  const ensureScratch = (frames: number): void => {
    if (scratchView.length >= frames * 2) return;
    if (scratch) koffi.free(scratch);
    scratch = koffi.alloc('float', frames * 2);
    scratchView = new Float32Array(koffi.view(scratch, frames * 8));
  };
  // Arrays over native memory from allocateFrames, by their buffer: FluidSynth writes into them in place.
  const owned = new Map<ArrayBufferLike, unknown>();
  return {
    engine: 'native',
    version: lib.version,
    newSettings: () => lib.new_fluid_settings(),
    deleteSettings: (settings) => lib.delete_fluid_settings(settings),
    setStr: (settings, name, value) => lib.fluid_settings_setstr(settings, name, value) === 0,
    setInt: (settings, name, value) => lib.fluid_settings_setint(settings, name, value) === 0,
    setNum: (settings, name, value) => lib.fluid_settings_setnum(settings, name, value) === 0,
    newSynth: (settings) => lib.new_fluid_synth(settings),
    deleteSynth: (synth) => lib.delete_fluid_synth(synth),
    loadSoundFont: (synth, path) => lib.fluid_synth_sfload(synth, path, 1),
    getSoundFont: (synth, id) => lib.fluid_synth_get_sfont_by_id(synth, id),
    addSoundFont: (synth, soundFont) => lib.fluid_synth_add_sfont(synth, soundFont),
    removeSoundFont: (synth, soundFont) => void lib.fluid_synth_remove_sfont(synth, soundFont),
    systemReset: (synth) => void lib.fluid_synth_system_reset(synth),
    activeVoiceCount: (synth) => lib.fluid_synth_get_active_voice_count(synth),
    allocateFrames: (frames) => {
      const pointer = koffi.alloc('float', frames * 2);
      const buffer = koffi.view(pointer, frames * 8);
      owned.set(buffer, pointer);
      return [new Float32Array(buffer, 0, frames), new Float32Array(buffer, frames * 4, frames)];
    },
    freeFrames: (left) => {
      const pointer = owned.get(left.buffer);
      if (pointer === undefined) return;
      owned.delete(left.buffer);
      koffi.free(pointer);
    },
    writeFloat: (synth, lengthFrames, left, right, offsetFrames) => {
      const pointer = owned.get(left.buffer);
      if (pointer !== undefined && right.buffer === left.buffer) {
        // Both channels live in one native block: FluidSynth takes offsets in floats from its start.
        lib.fluid_synth_write_float(
          synth,
          lengthFrames,
          pointer,
          left.byteOffset / 4 + offsetFrames,
          1,
          pointer,
          right.byteOffset / 4 + offsetFrames,
          1,
        );
        return;
      }
      ensureScratch(lengthFrames);
      // Left in the first half, right in the second: two block copies instead of a per-sample loop.
      lib.fluid_synth_write_float(synth, lengthFrames, scratch, 0, 1, scratch, lengthFrames, 1);
      left.set(scratchView.subarray(0, lengthFrames), offsetFrames);
      right.set(scratchView.subarray(lengthFrames, lengthFrames * 2), offsetFrames);
    },
    newPlayer: (synth): FluidHandle => lib.new_fluid_player(synth),
    deletePlayer: (player) => lib.delete_fluid_player(player),
    playerAddMidi: (player, bytes) => lib.fluid_player_add_mem(player, bytes, bytes.length) === 0,
    playerPlay: (player) => lib.fluid_player_play(player) === 0,
    playerIsPlaying: (player) => lib.fluid_player_get_status(player) === FLUID_PLAYER_PLAYING,
    takeLogMessages: () => lib.takeLogMessages(),
    dispose: () => {
      for (const pointer of owned.values()) koffi.free(pointer);
      owned.clear();
      if (scratch) koffi.free(scratch);
      scratch = null;
      scratchView = new Float32Array(0);
    },
  };
}

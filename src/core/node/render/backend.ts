/**
 * The contract between the render loop and a FluidSynth build: the same C API, reached either
 * through koffi (the system library) or through js-synthesizer's WebAssembly build. Keeping the
 * loop above this line means both engines play a file by exactly the same steps.
 */

/** An opaque handle: a C pointer (native) or a wasm heap address (wasm). */
export type FluidHandle = unknown;

/** Which FluidSynth build renders. */
export type EngineName = 'native' | 'wasm';

/** The FluidSynth calls the render loop needs, one method per C function (names drop the `fluid_` prefix). */
export interface FluidBackend {
  /** Which build this is. */
  readonly engine: EngineName;
  /** FluidSynth's version string, e.g. '2.3.1'. */
  readonly version: string;
  newSettings(): FluidHandle;
  deleteSettings(settings: FluidHandle): void;
  /** Sets a string setting; returns false when FluidSynth refuses it. */
  setStr(settings: FluidHandle, name: string, value: string): boolean;
  setInt(settings: FluidHandle, name: string, value: number): boolean;
  setNum(settings: FluidHandle, name: string, value: number): boolean;
  newSynth(settings: FluidHandle): FluidHandle;
  deleteSynth(synth: FluidHandle): void;
  /** Loads a SoundFont file; returns its id, or -1 when FluidSynth cannot load it. */
  loadSoundFont(synth: FluidHandle, path: string): number;
  /** The loaded SoundFont with this id (fluid_synth_get_sfont_by_id). */
  getSoundFont(synth: FluidHandle, id: number): FluidHandle;
  /** Adds a SoundFont loaded by another synth of the same backend; returns its id, or -1. */
  addSoundFont(synth: FluidHandle, soundFont: FluidHandle): number;
  /** Removes a SoundFont added with `addSoundFont` without freeing it. */
  removeSoundFont(synth: FluidHandle, soundFont: FluidHandle): void;
  systemReset(synth: FluidHandle): void;
  activeVoiceCount(synth: FluidHandle): number;
  /**
   * Optional: a left and a right array of `frames` frames that `writeFloat` renders into
   * directly, without a copy (native memory on the native engine). Freed with `freeFrames`.
   */
  allocateFrames?(frames: number): [Float32Array, Float32Array];
  /** Frees what `allocateFrames` returned (given its left array); the arrays must not be used after. */
  freeFrames?(left: Float32Array): void;
  /** Renders `lengthFrames` frames into `left`/`right` starting at `offsetFrames`. */
  writeFloat(
    synth: FluidHandle,
    lengthFrames: number,
    left: Float32Array,
    right: Float32Array,
    offsetFrames: number,
  ): void;
  newPlayer(synth: FluidHandle): FluidHandle;
  deletePlayer(player: FluidHandle): void;
  /** Queues a Standard MIDI File held in memory; returns false when FluidSynth rejects it. */
  playerAddMidi(player: FluidHandle, bytes: Uint8Array): boolean;
  playerPlay(player: FluidHandle): boolean;
  /** True while the player still has events to play (FLUID_PLAYER_PLAYING). */
  playerIsPlaying(player: FluidHandle): boolean;
  /** FluidSynth's log lines since the last call (errors and warnings), so errors can quote them. */
  takeLogMessages(): string[];
  /** Frees what the backend itself holds (wasm scratch memory, virtual files). */
  dispose(): void;
}

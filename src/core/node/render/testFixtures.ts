/**
 * Test support for the render stage: a short piano fixture written with `encodeMidi`, the
 * small bundled SoundFont (fast to load), and checks for the system FluidSynth and its CLI.
 */
import { execFileSync } from 'node:child_process';
import { emptySong, type Song } from '../../common/song/song';
import { bundledSoundFontPath } from './soundfont';
import { loadLibFluidSynth } from './libfluidsynth';

/** The smallest bundled SoundFont (3.9 MB, loads in a fraction of a second): tests render with it. */
export const TEST_SOUNDFONT = bundledSoundFontPath('TimGM6mb');

/**
 * About 3 s of piano at 120 BPM: a rising C major arpeggio at rising velocities, then a loud
 * chord released at 2.5 s, so the render has attacks, dynamics and a release. A pedal-up at
 * 3 s ends the track half a second after the last note, because FluidSynth 2.3.0 (wasm) and
 * 2.3.1 (Debian) handle note-offs on the very last tick differently.
 */
export function fixtureSong(): Song {
  const song = emptySong(480);
  const arpeggio = [60, 64, 67, 72];
  arpeggio.forEach((pitch, i) =>
    song.notes.push({
      pitch,
      velocity: 40 + i * 20,
      startTicks: i * 240,
      endTicks: i * 240 + 220,
      track: 0,
      channel: 0,
    }),
  );
  for (const pitch of [48, 55, 64, 67, 72])
    song.notes.push({ pitch, velocity: 110, startTicks: 960, endTicks: 2400, track: 0, channel: 0 });
  song.pedals.push({ ticks: 2880, track: 0, channel: 0, down: false });
  return song;
}

/** Why the native engine or the fluidsynth CLI cannot be tested here, or null when both are present. */
export function nativeUnavailableReason(): string | null {
  try {
    loadLibFluidSynth();
  } catch (error) {
    return (error as Error).message;
  }
  try {
    execFileSync('fluidsynth', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'the fluidsynth command-line program is not installed (Debian: apt-get install fluidsynth)';
  }
  return null;
}

/** Throws in CI (where .ci/run installs FluidSynth), else warns that native tests are skipped. */
export function skipNativeOrFail(reason: string | null): boolean {
  if (reason === null) return false;
  if (process.env.CI === 'true') throw new Error(`Native FluidSynth tests cannot run in CI: ${reason}`);
  console.warn(`[cadenza tests] skipping native FluidSynth tests: ${reason}`);
  return true;
}

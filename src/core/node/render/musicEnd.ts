/**
 * Where a MIDI file's music ends, for capping the release tail: the later of its last note-off
 * and its last event (a pedal release, the end of a track), in seconds through its tempo map.
 */
// The package is CommonJS: its class is reached through the default export under Node's ESM loader.
import ToneMidi from '@tonejs/midi';
import type { Midi } from '@tonejs/midi';
import type { Seconds } from '../../common/units';

/**
 * The seconds at which the last note-off or the last MIDI event of `bytes` falls (end of track
 * included); undefined when the bytes cannot be parsed, so the caller renders without a cap.
 */
export function musicEndSeconds(bytes: Uint8Array): Seconds | undefined {
  let midi: Midi;
  try {
    midi = new ToneMidi.Midi(bytes);
  } catch {
    return undefined;
  }
  let endTicks = 0;
  for (const track of midi.tracks) {
    endTicks = Math.max(endTicks, track.endOfTrackTicks ?? 0);
    for (const note of track.notes) endTicks = Math.max(endTicks, note.ticks + note.durationTicks);
    for (const changes of Object.values(track.controlChanges))
      for (const change of changes) endTicks = Math.max(endTicks, change.ticks);
  }
  return midi.header.ticksToSeconds(endTicks);
}

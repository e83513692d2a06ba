/**
 * Where a song's music ends, for capping the release tail: the later of its last note-off and
 * its last pedal change, in seconds through its tempo map. A pedal event that leaves the pedal
 * as it was changes nothing (the MIDI reader drops it too), so a song and the Song read back
 * from its MIDI bytes end at the same time.
 */
import type { Song } from '../../common/song/song';
import { endTicks } from '../../common/song/song';
import { tempoMapOf } from '../../common/song/tempo';
import type { Seconds } from '../../common/units';

/** The seconds at which the last note-off or the last change of a pedal of `song` falls. */
export function musicEndSeconds(song: Song): Seconds {
  let end = endTicks(song);
  const down = new Set<number>();
  for (const pedal of [...song.pedals].sort((a, b) => a.ticks - b.ticks)) {
    const key = pedal.track * 16 + pedal.channel;
    if (pedal.down === down.has(key)) continue;
    if (pedal.down) down.add(key);
    else down.delete(key);
    end = Math.max(end, pedal.ticks);
  }
  return tempoMapOf(song).toSeconds(end);
}

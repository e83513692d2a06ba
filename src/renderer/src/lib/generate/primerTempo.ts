/** The tempo Generate takes from a primer: the piece's opening tempo, in the range the request accepts. */
import { GENERATE_LIMITS } from '../../../../core/common/generate/options';
import type { Song } from '../../../../core/common/song/song';

/** Quarter notes per minute at the primer's start (its first tempo event), rounded and kept within core's tempo range. */
export function primerBpm(song: Pick<Song, 'tempos'>): number | undefined {
  const first = [...song.tempos].sort((a, b) => a.ticks - b.ticks)[0];
  if (!first || !Number.isFinite(first.bpm) || first.bpm <= 0) return undefined;
  const { min, max } = GENERATE_LIMITS.tempoBpm;
  return Math.min(max, Math.max(min, Math.round(first.bpm)));
}

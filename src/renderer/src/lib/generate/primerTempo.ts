/** The tempo Generate takes from a primer: the piece's opening tempo, in the range the request accepts. */
import type { Song } from '../../../../core/common/song/song';

/** Quarter notes per minute at the primer's start (its first tempo event), rounded and kept within 20..300. */
export function primerBpm(song: Pick<Song, 'tempos'>): number | undefined {
  const first = [...song.tempos].sort((a, b) => a.ticks - b.ticks)[0];
  if (!first || !Number.isFinite(first.bpm) || first.bpm <= 0) return undefined;
  return Math.min(300, Math.max(20, Math.round(first.bpm)));
}

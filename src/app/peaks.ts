/** Waveform peaks: a long recording reduced to one min/max pair per pixel column for drawing. */
import type { PcmAudio } from '../core/common/audio/wav';

/** Min and max of the channel-averaged signal in each of `buckets` equal slices (fewer when the audio is shorter). */
export function waveformPeaks(audio: PcmAudio, buckets: number): { min: number[]; max: number[] } {
  const channels = audio.channels;
  const lengthFrames = channels[0]?.length ?? 0;
  const count = Math.max(0, Math.min(buckets, lengthFrames));
  const min = new Array<number>(count).fill(0);
  const max = new Array<number>(count).fill(0);
  const scale = 1 / Math.max(1, channels.length);
  for (let b = 0; b < count; b++) {
    const from = Math.floor((b * lengthFrames) / count);
    const to = Math.floor(((b + 1) * lengthFrames) / count);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = from; i < to; i++) {
      let v = 0;
      for (const ch of channels) v += ch[i]!;
      v *= scale;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[b] = lo;
    max[b] = hi;
  }
  return { min, max };
}

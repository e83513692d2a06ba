/** Writes a `Song` as a Standard MIDI File (format 1, one track per `Song.tracks` entry). */
import ToneMidi from '@tonejs/midi';
import type { Midi as MidiClass } from '@tonejs/midi';
import type { Song } from '../../common/song/song';
import { writeFileAtomic } from '../fs/atomic';

// @tonejs/midi is CommonJS: Node's ESM loader exposes it as a default export only.
const { Midi } = ToneMidi as unknown as { Midi: typeof MidiClass };

/** Encodes `song` as SMF bytes, with its tempo map, time and key signatures and pedal events. */
export function encodeMidi(song: Song): Uint8Array {
  const midi = new Midi();
  midi.header.tempos = song.tempos.map((t) => ({ ticks: t.ticks, bpm: t.bpm }));
  midi.header.timeSignatures = song.timeSignatures.map((t) => ({
    ticks: t.ticks,
    timeSignature: [t.numerator, t.denominator],
  }));
  midi.header.keySignatures = song.keySignatures.map((k) => ({ ticks: k.ticks, key: k.key, scale: k.scale }));
  // @tonejs/midi writes ppq from the header's private map; fromJSON is the supported way to set it.
  midi.header.fromJSON({ ...midi.header.toJSON(), ppq: song.ppq });
  midi.header.update();
  if (song.name) midi.name = song.name;
  const trackCount = Math.max(1, song.tracks.length);
  for (let i = 0; i < trackCount; i++) {
    const info = song.tracks[i] ?? { name: 'Piano', program: 0, channel: 0, isDrum: false };
    const track = midi.addTrack();
    track.name = info.name;
    track.channel = info.channel;
    track.instrument.number = info.program;
  }
  for (const n of song.notes) {
    midi.tracks[Math.min(n.track, trackCount - 1)]!.addNote({
      midi: n.pitch,
      ticks: n.startTicks,
      durationTicks: n.endTicks - n.startTicks,
      velocity: n.velocity / 127,
    });
  }
  for (const p of song.pedals) {
    midi.tracks[Math.min(p.track, trackCount - 1)]!.addCC({ number: 64, ticks: p.ticks, value: p.down ? 1 : 0 });
  }
  return midi.toArray();
}

/** Writes `song` to `file` atomically. */
export async function writeMidiFile(file: string, song: Song): Promise<void> {
  await writeFileAtomic(file, encodeMidi(song));
}

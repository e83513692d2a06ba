/**
 * What the `seed` rules read of a piece: notes in file order per track, each track's names and
 * program changes, and time signatures. music21 orders notes that start on the same tick by
 * their order in the file, which a `Song` (sorted by pitch) no longer knows, so a file is read
 * from the one SMF reader's event stream (`core/common/midi/smf.ts`) rather than from its Song.
 */
import { parseSmf } from '../midi/smf';
import type { SmfFile, SmfTrack } from '../midi/smf';
import type { Song, TimeSignatureEvent } from '../song/song';

/** One note, paired the way music21 9.3 pairs note-on and note-off events. */
export interface SeedNote {
  pitch: number;
  startTicks: number;
  endTicks: number;
  channel: number;
}

/** A MIDI event that music21's import turns into an Instrument: a track or instrument name, or a program change. */
export interface SeedInstrumentEvent {
  ticks: number;
  /** `trackName` (meta 0x03), `instrumentName` (meta 0x04) or `program` (a program change). */
  kind: 'trackName' | 'instrumentName' | 'program';
  /** The name's bytes as the file has them (names only). */
  text?: Uint8Array;
  /** The program number 0..127 (program changes only). */
  program?: number;
  /** The 0-based channel (program changes only). */
  channel?: number;
}

/** One track's notes in the order their note-on events appear. */
export interface SeedTrack {
  /** The first program change in the track, or -1 when it has none. */
  program: number;
  notes: SeedNote[];
  /**
   * Ticks of the events music21 turns into objects of the track's own stream (tempo, key and time
   * signatures, track and instrument names, program changes): quantization looks ahead to them.
   */
  metaTicks?: number[];
  /** Ticks of its tempo, key and time signature events: what a track without notes gives the conductor part. */
  conductorTicks?: number[];
  /** Its names and program changes in file order; absent means one program change at 0 (none when `program` is -1). */
  instruments?: SeedInstrumentEvent[];
}

/** What the seed rules read from a piece. */
export interface SeedScore {
  ppq: number;
  tracks: SeedTrack[];
  timeSignatures: TimeSignatureEvent[];
}

const TEMPO = 0x51;
const TIME_SIGNATURE = 0x58;
const KEY_SIGNATURE = 0x59;

/** The seed rules' view of SMF bytes. Throws `MidiParseError` naming `file` for bytes that are not MIDI. */
export function seedScoreOfMidi(bytes: Uint8Array, file?: string): SeedScore {
  return seedScoreOfSmf(parseSmf(bytes, file));
}

/** The seed rules' view of a parsed file's events. */
export function seedScoreOfSmf(smf: SmfFile): SeedScore {
  const timeSignatures: TimeSignatureEvent[] = [];
  const tracks = smf.tracks.map((track) => seedTrack(track, timeSignatures));
  timeSignatures.sort((a, b) => a.ticks - b.ticks);
  return { ppq: smf.ppq, tracks, timeSignatures };
}

function seedTrack(track: SmfTrack, timeSignatures: TimeSignatureEvent[]): SeedTrack {
  let program = -1;
  // (ticks, isOn, pitch, channel) in file order.
  const events: [number, boolean, number, number][] = [];
  const metaTicks: number[] = [];
  const conductorTicks: number[] = [];
  const instruments: SeedInstrumentEvent[] = [];
  for (const e of track.events) {
    switch (e.kind) {
      case 'noteOn':
        events.push([e.ticks, true, e.pitch, e.channel]);
        break;
      case 'noteOff':
        events.push([e.ticks, false, e.pitch, e.channel]);
        break;
      case 'program':
        if (program < 0) program = e.program;
        metaTicks.push(e.ticks);
        instruments.push({ ticks: e.ticks, kind: 'program', program: e.program, channel: e.channel });
        break;
      case 'timeSignature':
        timeSignatures.push({ ticks: e.ticks, numerator: e.numerator, denominator: 2 ** e.denominatorPower });
        metaTicks.push(e.ticks);
        conductorTicks.push(e.ticks);
        break;
      case 'tempo':
      case 'keySignature':
        metaTicks.push(e.ticks);
        conductorTicks.push(e.ticks);
        break;
      case 'malformedMeta':
        if (e.type !== TEMPO && e.type !== TIME_SIGNATURE && e.type !== KEY_SIGNATURE) break;
        // music21 reads a time signature from its first two bytes, whatever the event's length.
        if (e.type === TIME_SIGNATURE && e.bytes.length >= 2)
          timeSignatures.push({ ticks: e.ticks, numerator: e.bytes[0]!, denominator: 2 ** e.bytes[1]! });
        metaTicks.push(e.ticks);
        conductorTicks.push(e.ticks);
        break;
      case 'trackName':
      case 'instrumentName':
        metaTicks.push(e.ticks);
        instruments.push({ ticks: e.ticks, kind: e.kind, text: e.bytes });
        break;
    }
  }
  // As music21 9.3: each note-on, in file order, takes the first later note-off of its key that no
  // earlier note-on took (so a key struck twice before one release borrows a later release).
  const notes: SeedNote[] = [];
  const used = new Uint8Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const [at, on, pitch, channel] = events[i]!;
    if (!on) continue;
    for (let j = i + 1; j < events.length; j++) {
      const e = events[j]!;
      if (!e[1] && !used[j] && e[2] === pitch && e[3] === channel) {
        used[j] = 1;
        notes.push({ pitch, startTicks: at, endTicks: e[0], channel });
        break;
      }
    }
  }
  return { program, notes, metaTicks, conductorTicks, instruments };
}

/** The seed rules' view of a Song: notes of one tick in pitch order (a file's own order is lost). */
export function seedScoreOfSong(song: Song): SeedScore {
  // A Song keeps a track's name and first program: music21 would meet them in that order at 0.
  const tracks: SeedScore['tracks'] = song.tracks.map((t) => ({
    program: t.isDrum ? -2 : t.program,
    notes: [],
    instruments: [
      ...(t.name ? [{ ticks: 0, kind: 'trackName' as const, text: new TextEncoder().encode(t.name) }] : []),
      { ticks: 0, kind: 'program' as const, program: t.program, channel: t.channel },
    ],
  }));
  for (const n of song.notes) {
    while (tracks.length <= n.track) tracks.push({ program: 0, notes: [] });
    if (song.tracks[n.track]?.isDrum) continue;
    tracks[n.track]!.notes.push({
      pitch: n.pitch,
      startTicks: n.startTicks,
      endTicks: n.endTicks,
      channel: n.channel,
    });
  }
  return {
    ppq: song.ppq,
    tracks: tracks.filter((t) => t.program !== -2),
    timeSignatures: song.timeSignatures,
  };
}

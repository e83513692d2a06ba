/**
 * A minimal Standard MIDI File event reader for the `seed` tokenizer: music21 orders notes
 * that start on the same tick by their order in the file, which a `Song` (sorted by pitch)
 * no longer knows. Only what the seed rules need is read: notes in file order per track,
 * each track's program, and time signatures.
 */
import { MidiParseError } from '../errors';
import type { TimeSignatureEvent } from '../song/song';

/** One note, paired the way music21 9.3 pairs note-on and note-off events. */
export interface SmfNote {
  pitch: number;
  startTicks: number;
  endTicks: number;
  channel: number;
}

/** A MIDI event that music21's import turns into an Instrument: a track or instrument name, or a program change. */
export interface SmfInstrumentEvent {
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
export interface SmfTrack {
  /** The first program change in the track, or -1 when it has none. */
  program: number;
  notes: SmfNote[];
  /**
   * Ticks of the events music21 turns into objects of the track's own stream (tempo, key and time
   * signatures, track and instrument names, program changes): quantization looks ahead to them.
   */
  metaTicks?: number[];
  /** Ticks of its tempo, key and time signature events: what a track without notes gives the conductor part. */
  conductorTicks?: number[];
  /** Its names and program changes in file order; absent means one program change at 0 (none when `program` is -1). */
  instruments?: SmfInstrumentEvent[];
}

/** What the seed rules read from a file. */
export interface SmfScore {
  ppq: number;
  tracks: SmfTrack[];
  timeSignatures: TimeSignatureEvent[];
}

/** Reads notes in file order, programs and time signatures from SMF bytes. Throws `MidiParseError`. */
export function readSmfNotes(bytes: Uint8Array, file = 'the file'): SmfScore {
  const fail = (reason: string): never => {
    throw new MidiParseError(`${file} is not a readable MIDI file: ${reason}.`, { path: file });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 14 || String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!) !== 'MThd')
    fail('it does not start with the MIDI header "MThd"');
  const headerLength = view.getUint32(4);
  const trackCount = view.getUint16(10);
  const ppq = view.getUint16(12);
  if (ppq & 0x8000 || ppq === 0) fail('it does not use ticks per quarter note');
  let pos = 8 + headerLength;
  const tracks: SmfTrack[] = [];
  const timeSignatures: TimeSignatureEvent[] = [];
  for (let t = 0; t < trackCount && pos + 8 <= bytes.length; t++) {
    const tag = String.fromCharCode(bytes[pos]!, bytes[pos + 1]!, bytes[pos + 2]!, bytes[pos + 3]!);
    const length = view.getUint32(pos + 4);
    const start = pos + 8;
    const end = Math.min(bytes.length, start + length);
    pos = start + length;
    if (tag !== 'MTrk') {
      t--;
      continue;
    }
    tracks.push(readTrack(bytes, start, end, timeSignatures, fail));
  }
  timeSignatures.sort((a, b) => a.ticks - b.ticks);
  return { ppq, tracks, timeSignatures };
}

function readTrack(
  bytes: Uint8Array,
  start: number,
  end: number,
  timeSignatures: TimeSignatureEvent[],
  fail: (reason: string) => never,
): SmfTrack {
  let pos = start;
  let ticks = 0;
  let status = 0;
  let program = -1;
  // (ticks, isOn, pitch, channel) in file order.
  const events: [number, boolean, number, number][] = [];
  const metaTicks: number[] = [];
  const conductorTicks: number[] = [];
  const instruments: SmfInstrumentEvent[] = [];
  const readVarLen = (): number => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (pos >= end) fail('a track ends in the middle of an event');
      const b = bytes[pos++]!;
      value = (value << 7) | (b & 0x7f);
      if (!(b & 0x80)) return value;
    }
    return value;
  };
  while (pos < end) {
    ticks += readVarLen();
    if (pos >= end) break;
    let b = bytes[pos]!;
    if (b & 0x80) {
      pos++;
      if (b < 0xf0) status = b;
    } else if (status === 0) fail('a track uses running status before any status byte');
    else b = status;
    if (b === 0xff) {
      const type = bytes[pos++]!;
      const len = readVarLen();
      if (type === 0x58 && len >= 2)
        timeSignatures.push({ ticks, numerator: bytes[pos]!, denominator: 2 ** bytes[pos + 1]! });
      if (type === 0x51 || type === 0x58 || type === 0x59 || type === 0x03 || type === 0x04)
        metaTicks.push(ticks);
      if (type === 0x51 || type === 0x58 || type === 0x59) conductorTicks.push(ticks);
      if (type === 0x03 || type === 0x04)
        instruments.push({
          ticks,
          kind: type === 0x03 ? 'trackName' : 'instrumentName',
          text: bytes.slice(pos, Math.min(pos + len, end)),
        });
      if (type === 0x2f) break;
      pos += len;
      continue;
    }
    if (b === 0xf0 || b === 0xf7) {
      pos += readVarLen();
      continue;
    }
    const kind = b & 0xf0;
    const channel = b & 0x0f;
    const d1 = bytes[pos]!;
    const twoBytes = kind !== 0xc0 && kind !== 0xd0;
    const d2 = twoBytes ? bytes[pos + 1]! : 0;
    pos += twoBytes ? 2 : 1;
    if (kind === 0x90 && d2 > 0) events.push([ticks, true, d1, channel]);
    else if (kind === 0x80 || kind === 0x90) events.push([ticks, false, d1, channel]);
    else if (kind === 0xc0) {
      if (program < 0) program = d1;
      metaTicks.push(ticks);
      instruments.push({ ticks, kind: 'program', program: d1, channel });
    }
  }
  // As music21 9.3: each note-on, in file order, takes the first later note-off of its key that no
  // earlier note-on took (so a key struck twice before one release borrows a later release).
  const notes: SmfNote[] = [];
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

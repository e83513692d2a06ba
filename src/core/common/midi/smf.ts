/**
 * A strict, bounded reader of Standard MIDI File bytes into raw per-track events. It never
 * reads past a chunk, never loops without consuming bytes, and reports anything it cannot
 * read as one `MidiParseError` sentence naming the file, so corrupt input can't crash or hang
 * the caller. Turning events into a `Song` (note pairing, drums, pedal) is `read.ts`'s job.
 */
import { MidiParseError } from '../errors';
import type { Ticks } from '../units';

/** One event a reader of the file needs; everything else (aftertouch, pitch bend, sysex, lyrics, markers) is skipped. */
export type SmfEvent =
  | { kind: 'noteOn'; ticks: Ticks; channel: number; pitch: number; velocity: number }
  | { kind: 'noteOff'; ticks: Ticks; channel: number; pitch: number }
  | { kind: 'controller'; ticks: Ticks; channel: number; controller: number; value: number }
  | { kind: 'program'; ticks: Ticks; channel: number; program: number }
  | { kind: 'tempo'; ticks: Ticks; microsecondsPerQuarter: number }
  | { kind: 'timeSignature'; ticks: Ticks; numerator: number; denominatorPower: number }
  | { kind: 'keySignature'; ticks: Ticks; sharps: number; minor: number }
  /** A track name (0x03); `bytes` as the file holds them, for readers that decode names their own way. */
  | { kind: 'trackName'; ticks: Ticks; text: string; bytes: Uint8Array }
  /** An instrument name (0x04). */
  | { kind: 'instrumentName'; ticks: Ticks; text: string; bytes: Uint8Array }
  /** A text event (0x01): credits, tempo words, notes by the sequencer. */
  | { kind: 'text'; ticks: Ticks; text: string }
  /** A copyright notice (0x02). */
  | { kind: 'copyright'; ticks: Ticks; text: string }
  /** A meta event whose length is wrong for its type (kept so the reader can count it). */
  | { kind: 'malformedMeta'; ticks: Ticks; type: number; bytes: Uint8Array };

/** One MTrk chunk's events in file order. */
export interface SmfTrack {
  events: SmfEvent[];
  /** The tick of the track's last event (its end-of-track meta when present). */
  endTicks: Ticks;
}

/** A parsed file: header fields and one entry per MTrk chunk, in file order. */
export interface SmfFile {
  /** SMF format, 0 or 1 (format 2 is refused). */
  format: number;
  /** Ticks per quarter note. */
  ppq: number;
  tracks: SmfTrack[];
}

/** The header fields `checkSmfStructure` validated. */
export interface SmfStructure {
  format: number;
  tracks: number;
  division: number;
}

const failer =
  (file: string) =>
  (reason: string): never => {
    throw new MidiParseError(`${file} is not a readable MIDI file: ${reason}.`, { path: file });
  };

const tag = (bytes: Uint8Array, at: number): string =>
  String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!).replace(
    /[^\x20-\x7e]/g,
    '?',
  );

/** Checks the header and chunk layout of an SMF, throwing `MidiParseError` with one clear reason. */
export function checkSmfStructure(bytes: Uint8Array, file = 'This file'): SmfStructure {
  const fail = failer(file);
  if (bytes.length === 0) fail('it is empty');
  if (bytes.length < 14) fail('it is too short to hold a MIDI header');
  if (tag(bytes, 0) !== 'MThd') fail('it does not start with the MIDI header "MThd"');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4);
  if (headerLength < 6 || 8 + headerLength > bytes.length)
    fail(`its header length (${headerLength}) is wrong`);
  const format = view.getUint16(8);
  const tracks = view.getUint16(10);
  const division = view.getUint16(12);
  if (format > 2) fail(`its format (${format}) is not 0, 1 or 2`);
  if (format === 2)
    throw new MidiParseError(
      `${file} is a format-2 MIDI file (independent sequences), which Cadenza does not read; save it as format 0 or 1.`,
      { path: file },
    );
  if (division & 0x8000)
    throw new MidiParseError(
      `${file} uses SMPTE time division, which Cadenza does not read; save it with ticks per quarter note.`,
      { path: file },
    );
  if (division === 0) fail('its ticks per quarter note is 0');
  if (tracks === 0) fail('it has no tracks');
  let offset = 8 + headerLength;
  let found = 0;
  while (offset + 8 <= bytes.length && found < tracks) {
    const length = view.getUint32(offset + 4);
    if (offset + 8 + length > bytes.length)
      fail(`chunk ${found + 1} ("${tag(bytes, offset)}") claims ${length} bytes but the file ends first`);
    if (tag(bytes, offset) === 'MTrk') found++;
    offset += 8 + length;
  }
  if (found < tracks) fail(`the header promises ${tracks} tracks but only ${found} are present`);
  return { format, tracks, division };
}

/** Parses SMF bytes into raw events per track. Throws `MidiParseError` naming `file` and the reason. */
export function parseSmf(bytes: Uint8Array, file = 'This file'): SmfFile {
  const fail = failer(file);
  const { format, tracks: trackCount, division } = checkSmfStructure(bytes, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tracks: SmfTrack[] = [];
  let offset = 8 + view.getUint32(4);
  while (tracks.length < trackCount) {
    const length = view.getUint32(offset + 4);
    const start = offset + 8;
    if (tag(bytes, offset) === 'MTrk')
      tracks.push(parseTrack(bytes, start, start + length, tracks.length + 1, fail));
    offset = start + length;
  }
  return { format, ppq: division, tracks };
}

function parseTrack(
  bytes: Uint8Array,
  start: number,
  end: number,
  trackNumber: number,
  fail: (reason: string) => never,
): SmfTrack {
  const events: SmfEvent[] = [];
  let pos = start;
  let ticks = 0;
  let running = 0;
  const truncated = (): never => fail(`track ${trackNumber} ends in the middle of an event (byte ${pos})`);
  const readVlq = (): number => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (pos >= end) truncated();
      const b = bytes[pos++]!;
      value = value * 128 + (b & 0x7f);
      if (!(b & 0x80)) return value;
    }
    return fail(`track ${trackNumber} has a variable-length number longer than 4 bytes (byte ${pos - 4})`);
  };
  const dataByte = (): number => {
    if (pos >= end) truncated();
    const b = bytes[pos]!;
    if (b & 0x80)
      fail(
        `track ${trackNumber} has a status byte 0x${b.toString(16)} where a data byte belongs (byte ${pos})`,
      );
    pos++;
    return b;
  };

  while (pos < end) {
    ticks += readVlq();
    if (pos >= end) truncated();
    let status = bytes[pos]!;
    if (status & 0x80) pos++;
    else if (running) status = running;
    else fail(`track ${trackNumber} has a data byte with no running status to apply it to (byte ${pos})`);

    if (status === 0xff) {
      if (pos >= end) truncated();
      const type = bytes[pos++]!;
      const length = readVlq();
      if (pos + length > end) truncated();
      const at = pos;
      pos += length;
      if (type === 0x2f) return { events, endTicks: ticks };
      const meta = readMeta(bytes, at, length, type, ticks);
      if (meta) events.push(meta);
    } else if (status === 0xf0 || status === 0xf7) {
      const length = readVlq();
      if (pos + length > end) truncated();
      pos += length;
    } else if (status >= 0xf0) {
      fail(
        `track ${trackNumber} has an event type 0x${status.toString(16)} that a MIDI file may not hold (byte ${pos - 1})`,
      );
    } else {
      // Running status is kept across meta and sysex events too: the spec says they cancel it,
      // but real files rely on it and no valid file is read differently for it.
      running = status;
      const channel = status & 0x0f;
      const type = status & 0xf0;
      const d1 = dataByte();
      const d2 = type === 0xc0 || type === 0xd0 ? 0 : dataByte();
      if (type === 0x90)
        events.push(
          d2 > 0
            ? { kind: 'noteOn', ticks, channel, pitch: d1, velocity: d2 }
            : { kind: 'noteOff', ticks, channel, pitch: d1 },
        );
      else if (type === 0x80) events.push({ kind: 'noteOff', ticks, channel, pitch: d1 });
      else if (type === 0xb0) events.push({ kind: 'controller', ticks, channel, controller: d1, value: d2 });
      else if (type === 0xc0) events.push({ kind: 'program', ticks, channel, program: d1 });
    }
  }
  // A track without its end-of-track event ends at its last event; real files sometimes omit it.
  return { events, endTicks: ticks };
}

function readMeta(
  bytes: Uint8Array,
  at: number,
  length: number,
  type: number,
  ticks: number,
): SmfEvent | null {
  const data = bytes.subarray(at, at + length);
  switch (type) {
    case 0x01:
      return { kind: 'text', ticks, text: decodeText(data) };
    case 0x02:
      return { kind: 'copyright', ticks, text: decodeText(data) };
    case 0x03:
      return { kind: 'trackName', ticks, text: decodeText(data), bytes: data };
    case 0x04:
      return { kind: 'instrumentName', ticks, text: decodeText(data), bytes: data };
    case 0x51:
      if (length !== 3) return { kind: 'malformedMeta', ticks, type, bytes: data };
      return {
        kind: 'tempo',
        ticks,
        microsecondsPerQuarter: (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!,
      };
    case 0x58:
      if (length !== 4) return { kind: 'malformedMeta', ticks, type, bytes: data };
      return { kind: 'timeSignature', ticks, numerator: bytes[at]!, denominatorPower: bytes[at + 1]! };
    case 0x59:
      if (length !== 2) return { kind: 'malformedMeta', ticks, type, bytes: data };
      return { kind: 'keySignature', ticks, sharps: (bytes[at]! << 24) >> 24, minor: bytes[at + 1]! };
    default:
      return null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Decodes a text meta event: UTF-8 when it is valid UTF-8, else Latin-1 (what older sequencers wrote). */
function decodeText(data: Uint8Array): string {
  try {
    return utf8.decode(data);
  } catch {
    return latin1.decode(data);
  }
}

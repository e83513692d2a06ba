/**
 * Writes a `Song` as a Standard MIDI File: format 1, one MTrk chunk per `Song.tracks` entry
 * (so `Note.track` survives a round trip), each note on its own channel, tempo, time and key
 * signatures in the first track, sustain pedal as CC64. What `read.ts` reads back is the same
 * Song, with two exceptions MIDI itself cannot express: overlapping notes of one key on one
 * track and channel are written as the reader pairs them (the earlier note ends where the later
 * one starts; of notes starting together only the longest is kept), and tempos come back as
 * 60e6 / round(60e6 / bpm), the precision a tempo event holds.
 */
import { DataError } from '../../common/errors';
import type { Note, Song } from '../../common/song/song';
import { writeFileAtomic } from '../fs/atomic';
import { keySharps } from '../../common/midi/keySignature';

/** Encodes `song` as SMF bytes. Throws `DataError` naming the field when the song holds impossible values. */
export function encodeMidi(song: Song): Uint8Array {
  checkSong(song);
  const trackCount = Math.max(1, song.tracks.length);
  const chunks: Uint8Array[] = [header(trackCount, song.ppq)];
  const notesByTrack: Note[][] = Array.from({ length: trackCount }, () => []);
  for (const n of song.notes) notesByTrack[Math.min(n.track, trackCount - 1)]!.push(n);

  for (let t = 0; t < trackCount; t++) {
    const info = song.tracks[t] ?? { name: 'Piano', program: 0, channel: 0, isDrum: false };
    const events: TimedEvent[] = [];
    const name = t === 0 ? (song.name ?? info.name) : info.name;
    if (name) events.push(meta(0, 0x03, new TextEncoder().encode(name)));
    if (t === 0) {
      for (const e of song.tempos) {
        const us = Math.max(1, Math.min(0xffffff, Math.round(60_000_000 / e.bpm)));
        events.push(meta(tick(e.ticks), 0x51, [us >> 16, (us >> 8) & 0xff, us & 0xff]));
      }
      for (const e of song.timeSignatures)
        events.push(meta(tick(e.ticks), 0x58, [e.numerator, Math.round(Math.log2(e.denominator)), 24, 8]));
      for (const e of song.keySignatures) {
        const sharps = keySharps(e.key, e.scale === 'minor');
        if (sharps !== null)
          events.push(meta(tick(e.ticks), 0x59, [sharps & 0xff, e.scale === 'minor' ? 1 : 0]));
      }
    }
    const channels = new Set<number>([info.channel, ...notesByTrack[t]!.map((n) => n.channel)]);
    for (const c of [...channels].sort((a, b) => a - b))
      events.push({ ticks: 0, order: 1, bytes: [0xc0 | c, info.program & 0x7f] });
    for (const [n, endTicks] of playableNotes(notesByTrack[t]!)) {
      events.push({ ticks: endTicks, order: 2, bytes: [0x80 | n.channel, n.pitch, 64] });
      events.push({
        ticks: tick(n.startTicks),
        order: 4,
        bytes: [0x90 | n.channel, n.pitch, velocity(n.velocity)],
      });
    }
    for (const p of song.pedals)
      if (Math.min(p.track, trackCount - 1) === t)
        events.push({ ticks: tick(p.ticks), order: 3, bytes: [0xb0 | p.channel, 64, p.down ? 127 : 0] });
    chunks.push(trackChunk(events));
  }
  return concat(chunks);
}

/** Writes `song` to `file` atomically. */
export async function writeMidiFile(file: string, song: Song): Promise<void> {
  await writeFileAtomic(file, encodeMidi(song));
}

/** An event to write: at `ticks`; at one tick, lower `order` first (meta, program, offs, pedal, ons). */
interface TimedEvent {
  ticks: number;
  order: number;
  bytes: number[] | Uint8Array;
}

/** The largest delta a 4-byte variable-length number holds; a song longer than this can't be written. */
const MAX_TICKS = 0x0fffffff;
const tick = (t: number): number => Math.max(0, Math.round(t));
const velocity = (v: number): number => Math.max(1, Math.min(127, Math.round(v)));

function meta(ticks: number, type: number, data: number[] | Uint8Array): TimedEvent {
  return { ticks, order: 0, bytes: [0xff, type, ...vlq(data.length), ...data] };
}

/** Each note with the end tick it is written with, after the overlap rule in the file comment. */
function playableNotes(notes: Note[]): Array<[Note, number]> {
  const lanes = new Map<number, Note[]>();
  for (const n of notes) {
    const key = (n.channel << 7) | n.pitch;
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = []));
    lane.push(n);
  }
  const out: Array<[Note, number]> = [];
  for (const lane of lanes.values()) {
    lane.sort((a, b) => tick(a.startTicks) - tick(b.startTicks) || tick(a.endTicks) - tick(b.endTicks));
    lane.forEach((n, i) => {
      const next = lane[i + 1];
      const end = next ? Math.min(tick(n.endTicks), tick(next.startTicks)) : tick(n.endTicks);
      if (end > tick(n.startTicks)) out.push([n, end]);
    });
  }
  return out;
}

function checkSong(song: Song): void {
  const bad = (field: string, why: string): never => {
    throw new DataError(`The song cannot be written as MIDI: ${field} ${why}.`, { field });
  };
  if (!Number.isInteger(song.ppq) || song.ppq < 1 || song.ppq > 0x7fff)
    bad('ppq', `is ${song.ppq}, not a whole number from 1 to 32767`);
  song.notes.forEach((n, i) => {
    if (!Number.isInteger(n.pitch) || n.pitch < 0 || n.pitch > 127)
      bad(`notes[${i}].pitch`, `is ${n.pitch}, not 0 to 127`);
    if (!Number.isInteger(n.channel) || n.channel < 0 || n.channel > 15)
      bad(`notes[${i}].channel`, `is ${n.channel}, not 0 to 15`);
    if (
      !Number.isFinite(n.startTicks) ||
      !Number.isFinite(n.endTicks) ||
      n.startTicks < 0 ||
      n.endTicks > MAX_TICKS
    )
      bad(`notes[${i}]`, `has impossible ticks (${n.startTicks} to ${n.endTicks})`);
    if (!Number.isFinite(n.velocity)) bad(`notes[${i}].velocity`, `is ${n.velocity}`);
  });
  song.tempos.forEach((e, i) => {
    if (!Number.isFinite(e.ticks) || e.ticks < 0 || e.ticks > MAX_TICKS)
      bad(`tempos[${i}].ticks`, `is ${e.ticks}`);
    if (!(e.bpm > 0) || !Number.isFinite(e.bpm))
      bad(`tempos[${i}].bpm`, `is ${e.bpm}, not a positive number`);
  });
  song.timeSignatures.forEach((e, i) => {
    const power = Math.log2(e.denominator);
    if (
      !Number.isInteger(e.numerator) ||
      e.numerator < 1 ||
      e.numerator > 255 ||
      !Number.isInteger(power) ||
      power < 0 ||
      power > 7
    )
      bad(`timeSignatures[${i}]`, `is ${e.numerator}/${e.denominator}, not a time signature MIDI can hold`);
  });
  song.pedals.forEach((p, i) => {
    if (!Number.isInteger(p.channel) || p.channel < 0 || p.channel > 15)
      bad(`pedals[${i}].channel`, `is ${p.channel}, not 0 to 15`);
    if (!Number.isFinite(p.ticks) || p.ticks < 0 || p.ticks > MAX_TICKS)
      bad(`pedals[${i}].ticks`, `is ${p.ticks}`);
  });
}

function header(trackCount: number, ppq: number): Uint8Array {
  return Uint8Array.from([
    0x4d,
    0x54,
    0x68,
    0x64,
    0,
    0,
    0,
    6,
    0,
    1,
    trackCount >> 8,
    trackCount & 0xff,
    ppq >> 8,
    ppq & 0xff,
  ]);
}

function trackChunk(events: TimedEvent[]): Uint8Array {
  // Stable sort by (ticks, order): Array.prototype.sort is stable, so file order breaks ties.
  events.sort((a, b) => a.ticks - b.ticks || a.order - b.order);
  const out = new ByteWriter(16 + events.length * 4);
  out.bytes([0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 0]);
  let now = 0;
  let running = 0;
  for (const e of events) {
    out.vlq(e.ticks - now);
    now = e.ticks;
    const status = e.bytes[0]!;
    // Running status: repeat channel messages without their status byte, as most writers do.
    out.bytes(e.bytes, status < 0xf0 && status === running ? 1 : 0);
    running = status < 0xf0 ? status : 0;
  }
  out.bytes([0, 0xff, 0x2f, 0]);
  const chunk = out.result();
  new DataView(chunk.buffer, chunk.byteOffset).setUint32(4, chunk.length - 8);
  return chunk;
}

/** A growable byte buffer. */
class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(capacity: number) {
    this.buffer = new Uint8Array(Math.max(16, capacity));
  }

  bytes(data: ArrayLike<number>, from = 0): void {
    this.reserve(data.length - from);
    for (let i = from; i < data.length; i++) this.buffer[this.length++] = data[i]!;
  }

  /** A variable-length quantity; `value` is at most 0x0fffffff (checked by `checkSong`), so 32-bit shifts are safe. */
  vlq(value: number): void {
    this.reserve(4);
    if (value > 0x1fffff) this.buffer[this.length++] = ((value >>> 21) & 0x7f) | 0x80;
    if (value > 0x3fff) this.buffer[this.length++] = ((value >>> 14) & 0x7f) | 0x80;
    if (value > 0x7f) this.buffer[this.length++] = ((value >>> 7) & 0x7f) | 0x80;
    this.buffer[this.length++] = value & 0x7f;
  }

  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

function vlq(value: number): number[] {
  const out = [value & 0x7f];
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Test support: builds Standard MIDI File bytes event by event, so tests can state exactly
 * what a file holds (running status, stray note-offs, broken chunks) without any writer in between.
 * Each event helper returns its bytes with the delta time in front.
 */

/** A variable-length quantity, as SMF delta times and lengths are stored. */
export function vlq(value: number): number[] {
  const out = [value & 0x7f];
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
  return out;
}

const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Event builders; `delta` is in ticks since the previous event of the track. */
export const ev = {
  /** Note-on (status 0x9n). */
  on: (delta: number, channel: number, pitch: number, velocity: number): number[] => [
    ...vlq(delta),
    0x90 | channel,
    pitch,
    velocity,
  ],
  /** Note-off (status 0x8n). */
  off: (delta: number, channel: number, pitch: number, velocity = 64): number[] => [
    ...vlq(delta),
    0x80 | channel,
    pitch,
    velocity,
  ],
  /** Controller change (status 0xBn). */
  cc: (delta: number, channel: number, controller: number, value: number): number[] => [
    ...vlq(delta),
    0xb0 | channel,
    controller,
    value,
  ],
  /** Program change (status 0xCn, one data byte). */
  program: (delta: number, channel: number, program: number): number[] => [
    ...vlq(delta),
    0xc0 | channel,
    program,
  ],
  /** Pitch bend (status 0xEn), which the reader skips. */
  bend: (delta: number, channel: number, value: number): number[] => [
    ...vlq(delta),
    0xe0 | channel,
    value & 0x7f,
    value >> 7,
  ],
  /** Data bytes only, relying on running status. */
  running: (delta: number, ...data: number[]): number[] => [...vlq(delta), ...data],
  /** Set-tempo meta, from quarter notes per minute. */
  tempo: (delta: number, bpm: number): number[] => {
    const us = Math.round(60_000_000 / bpm);
    return [...vlq(delta), 0xff, 0x51, 3, us >> 16, (us >> 8) & 0xff, us & 0xff];
  },
  /** Time-signature meta (denominator as a power of two). */
  timeSig: (delta: number, numerator: number, denominatorPower: number): number[] => [
    ...vlq(delta),
    0xff,
    0x58,
    4,
    numerator,
    denominatorPower,
    24,
    8,
  ],
  /** Key-signature meta (sharps -7..7, minor 0/1). */
  keySig: (delta: number, sharps: number, minor: number): number[] => [
    ...vlq(delta),
    0xff,
    0x59,
    2,
    sharps & 0xff,
    minor,
  ],
  /** Track-name meta. */
  name: (delta: number, text: string): number[] => [
    ...vlq(delta),
    0xff,
    0x03,
    ...vlq(text.length),
    ...ascii(text),
  ],
  /** Any other meta event. */
  meta: (delta: number, type: number, data: number[]): number[] => [
    ...vlq(delta),
    0xff,
    type,
    ...vlq(data.length),
    ...data,
  ],
  /** A sysex event (F0 ... F7). */
  sysex: (delta: number, data: number[]): number[] => [
    ...vlq(delta),
    0xf0,
    ...vlq(data.length + 1),
    ...data,
    0xf7,
  ],
  /** End-of-track meta. */
  eot: (delta = 0): number[] => [...vlq(delta), 0xff, 0x2f, 0],
};

/** An MTrk chunk from events; an end-of-track is appended unless `endOfTrack` is false. */
export function track(events: number[][], endOfTrack = true): number[] {
  const body = events.flat();
  if (endOfTrack) body.push(...ev.eot());
  return [...ascii('MTrk'), ...u32(body.length), ...body];
}

/** An MThd chunk. */
export function header(format: number, trackCount: number, division: number): number[] {
  return [
    ...ascii('MThd'),
    ...u32(6),
    format >> 8,
    format & 0xff,
    trackCount >> 8,
    trackCount & 0xff,
    division >> 8,
    division & 0xff,
  ];
}

/** A whole file: the header followed by the given track chunks (built with `track`). */
export function smfFile(format: number, division: number, tracks: number[][]): Uint8Array {
  return Uint8Array.from([...header(format, tracks.length, division), ...tracks.flat()]);
}

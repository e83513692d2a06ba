import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IoError, MidiParseError } from '../../common/errors';
import { Rng } from '../../common/random';
import type { Song } from '../../common/song/song';
import { parseMidi } from '../../common/midi/read';
import { readMidiFile } from './read';
import { ev, header, smfFile, track } from '../../common/midi/smfBuilder';

const FILE = 'broken.mid';

/** Parses `bytes` and returns the MidiParseError it throws (failing the test on success or another error type). */
function parseError(bytes: Uint8Array): MidiParseError {
  try {
    parseMidi(bytes, { path: FILE });
  } catch (error) {
    expect(error).toBeInstanceOf(MidiParseError);
    const e = error as MidiParseError;
    expect(e.path).toBe(FILE);
    expect(e.message.startsWith(`${FILE} `)).toBe(true);
    // One sentence: a single full stop, at the end.
    expect(e.message.trimEnd().endsWith('.')).toBe(true);
    return e;
  }
  throw new Error('expected a MidiParseError, but the bytes parsed');
}

/** Checks the invariants every Song the reader returns must hold. */
function expectValidSong(song: Song): void {
  for (const n of song.notes) {
    expect(Number.isInteger(n.pitch) && n.pitch >= 0 && n.pitch <= 127).toBe(true);
    expect(n.velocity >= 1 && n.velocity <= 127).toBe(true);
    expect(n.endTicks).toBeGreaterThan(n.startTicks);
    expect(n.track).toBeLessThan(song.tracks.length);
    expect(n.channel >= 0 && n.channel <= 15).toBe(true);
  }
  expect(song.tempos[0]!.ticks).toBe(0);
  for (const t of song.tempos) expect(Number.isFinite(t.bpm) && t.bpm > 0).toBe(true);
}

/** A small but varied fixture: two tracks, tempo, signatures, pedal, running status, sysex. */
const fixture = smfFile(1, 480, [
  track([
    ev.name(0, 'Fixture'),
    ev.tempo(0, 100),
    ev.timeSig(0, 3, 2),
    ev.keySig(0, 2, 0),
    ev.tempo(960, 80),
  ]),
  track([
    ev.program(0, 0, 0),
    ev.cc(0, 0, 64, 127),
    ev.on(0, 0, 60, 90),
    ev.running(0, 64, 80),
    ev.running(240, 67, 70),
    ev.sysex(10, [0x43, 0x10]),
    ev.off(230, 0, 60),
    ev.running(0, 64, 0),
    ev.cc(0, 0, 64, 0),
    ev.on(0, 1, 48, 60),
    ev.off(480, 1, 48),
    ev.off(0, 0, 67),
  ]),
]);

describe('parseMidi on bad input', () => {
  it('reads the fixture itself', () => {
    const { song } = parseMidi(fixture, { path: FILE, sustain: false });
    expect(song.notes.map((n) => n.pitch)).toEqual([60, 64, 67, 48]);
  });

  it('rejects an empty file', () => {
    expect(parseError(new Uint8Array()).message).toMatch(/it is empty/);
  });

  it('rejects a text file', () => {
    const text = new TextEncoder().encode('composer,title\nChopin,Prelude\n');
    expect(parseError(text).message).toMatch(/does not start with the MIDI header/);
  });

  it('rejects a truncated header', () => {
    expect(parseError(fixture.subarray(0, 10)).message).toMatch(/too short/);
    expect(parseError(fixture.subarray(0, 14)).message).toMatch(/promises 2 tracks but only 0/);
  });

  it('rejects a truncated track', () => {
    expect(parseError(fixture.subarray(0, fixture.length - 5)).message).toMatch(
      /chunk 2 \("MTrk"\) claims \d+ bytes but the file ends first/,
    );
  });

  it('rejects a track chunk whose last event is cut short', () => {
    const bytes = Uint8Array.from([...header(0, 1, 480), 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 3, 0x00, 0x90, 60]);
    expect(parseError(bytes).message).toMatch(/track 1 ends in the middle of an event/);
  });

  it('rejects wrong magic', () => {
    const bytes = fixture.slice();
    bytes[3] = 0x65;
    expect(parseError(bytes).message).toMatch(/"MThd"/);
  });

  it('rejects huge chunk and header lengths', () => {
    const bytes = fixture.slice();
    bytes.set([0xff, 0xff, 0xff, 0xf0], 14 + 4);
    expect(parseError(bytes).message).toMatch(/claims 4294967280 bytes/);
    const header2 = fixture.slice();
    header2.set([0x7f, 0xff, 0xff, 0xff], 4);
    expect(parseError(header2).message).toMatch(/header length/);
  });

  it('rejects impossible events inside a track', () => {
    const withEvent = (...body: number[]) => Uint8Array.from([...header(0, 1, 480), ...track([body])]);
    expect(parseError(withEvent(0x00, 60, 100)).message).toMatch(/no running status/);
    expect(parseError(withEvent(0x00, 0xf8)).message).toMatch(/event type 0xf8/);
    expect(parseError(withEvent(0xff, 0xff, 0xff, 0xff, 0x7f, 0x90, 60, 100)).message).toMatch(
      /longer than 4 bytes/,
    );
    expect(parseError(withEvent(0x00, 0x90, 0x80, 100)).message).toMatch(
      /status byte 0x80 where a data byte belongs/,
    );
    expect(parseError(withEvent(0x00, 0xff, 0x51, 0x7f, 1, 2, 3)).message).toMatch(
      /ends in the middle of an event/,
    );
  });

  it('gives MidiParseError (never another error, never a hang) for random bytes', () => {
    const rng = new Rng(1234);
    for (let i = 0; i < 40; i++) {
      const bytes = Uint8Array.from({ length: 1 + rng.int(300) }, () => rng.int(256));
      // Half of them get a valid header, so the track parser sees garbage too.
      if (i % 2) bytes.set(header(1, 1, 480).concat([0x4d, 0x54, 0x72, 0x6b]).slice(0, bytes.length));
      try {
        expectValidSong(parseMidi(bytes, { path: FILE }).song);
      } catch (error) {
        expect(error).toBeInstanceOf(MidiParseError);
        expect((error as Error).message).toContain(FILE);
      }
    }
  });

  it('gives a valid song or MidiParseError for bit-flipped copies of a real file', () => {
    const rng = new Rng(42);
    let errors = 0;
    for (let i = 0; i < 60; i++) {
      const bytes = fixture.slice();
      const flips = 1 + rng.int(3);
      for (let f = 0; f < flips; f++) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
      try {
        expectValidSong(parseMidi(bytes, { path: FILE }).song);
      } catch (error) {
        expect(error).toBeInstanceOf(MidiParseError);
        expect((error as Error).message).toContain(FILE);
        errors++;
      }
    }
    // Flips in the header, lengths and status bytes must be caught, not all flips are harmless.
    expect(errors).toBeGreaterThan(5);
  });

  it('starts its sentence with "This file" when given no file name', () => {
    expect(() => parseMidi(new Uint8Array([1, 2, 3]))).toThrow(
      /^This file is not a readable MIDI file: it is too short/,
    );
  });

  it('reports a missing file as IoError naming it', async () => {
    const missing = path.join(os.tmpdir(), `cadenza-missing-${process.pid}.mid`);
    await expect(readMidiFile(missing)).rejects.toThrow(IoError);
    await expect(readMidiFile(missing)).rejects.toThrow(missing);
  });

  it('refuses a file too large to be MIDI before reading it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-midi-'));
    const file = path.join(dir, 'huge.mid');
    // A sparse file: 65 MB long without writing 65 MB.
    await fs.writeFile(file, fixture);
    await fs.truncate(file, 65 * 2 ** 20);
    await expect(readMidiFile(file)).rejects.toThrow(
      `${file} is not a readable MIDI file: it is 65 MB, and Cadenza reads MIDI files of up to 64 MB.`,
    );
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('names the file it read in a parse error', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-midi-'));
    const file = path.join(dir, 'notes.txt.mid');
    await fs.writeFile(file, 'hello');
    await expect(readMidiFile(file)).rejects.toThrow(`${file} is not a readable MIDI file`);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

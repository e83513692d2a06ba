/**
 * Reads Standard MIDI Files into a `Song` (the only MIDI parser user in the codebase, as
 * magenta's midi_io is). Structure is checked first so a bad file gets one clear reason;
 * then @tonejs/midi parses the events.
 */
import { promises as fs } from 'node:fs';
import ToneMidi from '@tonejs/midi';
import type { Midi as MidiClass } from '@tonejs/midi';
import { MidiParseError } from '../../common/errors';
import type { Note, PedalEvent, Song, TrackInfo } from '../../common/song/song';
import { compareNotes, DEFAULT_BPM } from '../../common/song/song';
import { applySustain } from '../../common/song/sustain';
import { ioError } from '../fs/atomic';

// @tonejs/midi is CommonJS: Node's ESM loader exposes it as a default export only.
const { Midi } = ToneMidi as unknown as { Midi: typeof MidiClass };

/** How to read a file. */
export interface ReadMidiOptions {
  /** Extend notes held by the sustain pedal (CC64); on by default, as for piano. */
  sustain?: boolean;
  /** Drop notes on the drum channel (10); on by default, as piano models don't use them. */
  dropDrums?: boolean;
  /** The file name to put in error messages. */
  path?: string;
}

/** What reading a file changed or dropped, so reports can say so. */
export interface MidiReadReport {
  /** The file's SMF format (0, 1 or 2). */
  format: number;
  /** Notes on the drum channel that were dropped. */
  droppedDrumNotes: number;
  /** Notes with no length that were dropped. */
  droppedZeroLengthNotes: number;
}

/** A parsed file. */
export interface MidiReadResult {
  song: Song;
  report: MidiReadReport;
}

/** Checks the chunk structure of an SMF, throwing `MidiParseError` with one clear reason. */
export function checkMidiStructure(bytes: Uint8Array, file = 'the file'): { format: number; tracks: number; division: number } {
  const fail = (reason: string): never => {
    throw new MidiParseError(`${file} is not a readable MIDI file: ${reason}.`, { path: file });
  };
  if (bytes.length === 0) fail('it is empty');
  if (bytes.length < 14) fail('it is too short to hold a MIDI header');
  const tag = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (tag !== 'MThd') fail('it does not start with the MIDI header "MThd"');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4);
  if (headerLength < 6 || 8 + headerLength > bytes.length) fail(`its header length (${headerLength}) is wrong`);
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
    const chunk = String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
    const length = view.getUint32(offset + 4);
    if (offset + 8 + length > bytes.length)
      fail(`chunk ${found + 1} ("${chunk.replace(/[^\x20-\x7e]/g, '?')}") claims ${length} bytes but the file ends first`);
    if (chunk === 'MTrk') found++;
    offset += 8 + length;
  }
  if (found < tracks) fail(`the header promises ${tracks} tracks but only ${found} are present`);
  return { format, tracks, division };
}

/** Parses SMF bytes into a Song. Throws `MidiParseError` for anything unreadable. */
export function parseMidi(bytes: Uint8Array, options: ReadMidiOptions = {}): MidiReadResult {
  const file = options.path ?? 'the file';
  const { format } = checkMidiStructure(bytes, file);
  let midi: MidiClass;
  try {
    midi = new Midi(bytes);
  } catch (error) {
    throw new MidiParseError(`${file} is not a readable MIDI file: ${(error as Error).message}.`, {
      path: file,
      cause: error,
    });
  }
  const dropDrums = options.dropDrums ?? true;
  const report: MidiReadReport = { format, droppedDrumNotes: 0, droppedZeroLengthNotes: 0 };
  const tracks: TrackInfo[] = [];
  const notes: Note[] = [];
  const pedals: PedalEvent[] = [];
  midi.tracks.forEach((t, index) => {
    const isDrum = t.channel === 9 || t.instrument.percussion;
    tracks.push({ name: t.name ?? '', program: t.instrument.number, channel: t.channel, isDrum });
    for (const n of t.notes) {
      if (isDrum && dropDrums) {
        report.droppedDrumNotes++;
        continue;
      }
      if (n.durationTicks <= 0) {
        report.droppedZeroLengthNotes++;
        continue;
      }
      notes.push({
        pitch: n.midi,
        velocity: Math.max(1, Math.min(127, Math.round(n.velocity * 127))),
        startTicks: n.ticks,
        endTicks: n.ticks + n.durationTicks,
        track: index,
        channel: t.channel,
      });
    }
    for (const cc of t.controlChanges[64] ?? []) {
      pedals.push({ ticks: cc.ticks, track: index, channel: t.channel, down: cc.value >= 0.5 });
    }
  });
  notes.sort(compareNotes);
  pedals.sort((a, b) => a.ticks - b.ticks);
  const header = midi.header;
  let song: Song = {
    ppq: header.ppq,
    notes,
    tempos: header.tempos.length
      ? header.tempos.map((t) => ({ ticks: t.ticks, bpm: t.bpm }))
      : [{ ticks: 0, bpm: DEFAULT_BPM }],
    timeSignatures: header.timeSignatures.length
      ? header.timeSignatures.map((t) => ({ ticks: t.ticks, numerator: t.timeSignature[0]!, denominator: t.timeSignature[1]! }))
      : [{ ticks: 0, numerator: 4, denominator: 4 }],
    keySignatures: header.keySignatures.map((k) => ({
      ticks: k.ticks,
      key: k.key,
      scale: k.scale === 'minor' ? 'minor' : 'major',
    })),
    pedals,
    tracks,
  };
  if (midi.name) song.name = midi.name;
  if (options.sustain ?? true) song = applySustain(song);
  return { song, report };
}

/** Reads and parses a MIDI file. Throws `IoError` if it can't be read, `MidiParseError` if it isn't MIDI. */
export async function readMidiFile(file: string, options: ReadMidiOptions = {}): Promise<MidiReadResult> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw ioError(error, file, 'read');
  }
  return parseMidi(bytes, { ...options, path: options.path ?? file });
}

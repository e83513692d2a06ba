/**
 * Reads Standard MIDI File bytes into a `Song` (the only MIDI reader in the codebase, as magenta's
 * midi_io is; `core/node/midi/read.ts` only reads a file's bytes for it). `smf.ts` turns bytes
 * into events with strict bounds checks; this file pairs them into notes with fixed, documented
 * rules, so the same file always gives the same Song:
 *
 * - Formats 0 and 1 are read; format 2 and SMPTE time division are refused with a reason.
 * - Every MTrk chunk becomes one `Song.tracks` entry, empty ones included, so `Note.track`
 *   is the file's own track index (0 = first chunk).
 * - Each note keeps the channel of its own note-on; notes pair per (track, channel, pitch).
 * - A note-on with velocity 0 is a note-off.
 * - Re-striking a sounding key ends the sounding note there and starts a new one (a piano
 *   re-strikes the string). A note-off at the re-strike's own tick is taken as the earlier
 *   note's release, so "on, off" at one tick in either order never loses the new note.
 *   Otherwise a note-off ends the key's sounding note; a note-off with none sounding is
 *   ignored and counted (`strayNoteOffs`).
 * - Notes never turned off end at their track's last event (`unterminatedNotes`).
 * - A note released at the tick it was struck is kept as the shortest note, one tick long
 *   (`shortestNotes`): it was played, and other readers count it. A note cut to no length by a
 *   re-strike at its own tick, or struck at its track's very end, is dropped (`droppedZeroLengthNotes`).
 * - Channel 10 (index 9) is the General MIDI drum channel: its notes are dropped by default.
 * - Tempo, time and key signature events are gathered from every track; at one tick the
 *   later event in file order wins. A song always starts with a tempo and a time signature
 *   at tick 0 (120 BPM and 4/4 when the file has none there).
 * - CC64 (sustain) becomes pedal changes per (track, channel): value >= 64 is down, and an
 *   event that does not change the pedal's state is dropped. By default the pedal is then
 *   applied to note lengths (`applySustain`).
 * - Track names, text events and copyright notices are kept as `texts` (at most
 *   `MAX_TEXTS` of them, in file order), for naming the piece (`core/common/song/credits.ts`).
 * - Sysex, aftertouch, pitch bend, other controllers and other meta events are skipped.
 */
import type { MidiText } from '../song/credits';
import type {
  KeySignatureEvent,
  Note,
  PedalEvent,
  Song,
  TempoEvent,
  TimeSignatureEvent,
  TrackInfo,
} from '../song/song';
import { compareNotes, DEFAULT_BPM } from '../song/song';
import { MidiParseError } from '../errors';
import { applySustain } from '../song/sustain';
import { keyName } from './keySignature';
import type { SmfTrack } from './smf';
import { parseSmf } from './smf';

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
  /** The file's SMF format (0 or 1). */
  format: number;
  /** MTrk chunks read (equal to `song.tracks.length`). */
  trackCount: number;
  /** Notes on the drum channel that were dropped. */
  droppedDrumNotes: number;
  /** Notes with no length that were dropped (re-struck at their own tick, or struck at the track's end). */
  droppedZeroLengthNotes: number;
  /** Notes released at the tick they were struck, kept one tick long. */
  shortestNotes: number;
  /** Notes never turned off, ended at their track's last event. */
  unterminatedNotes: number;
  /** Notes ended early because their key was struck again while sounding. */
  retriggeredNotes: number;
  /** Note-offs that found no sounding note of their key, ignored. */
  strayNoteOffs: number;
  /** Tempo, time or key signature events with impossible values or lengths, ignored. */
  ignoredMetaEvents: number;
}

/** A parsed file. */
export interface MidiReadResult {
  song: Song;
  report: MidiReadReport;
  /** The file's track names, text events and copyright notices, in file order (the first `MAX_TEXTS`). */
  texts: MidiText[];
}

/** Most text events kept per file: credits come first, and a lyrics file may hold thousands. */
export const MAX_TEXTS = 200;

/** Parses SMF bytes into a Song. Throws `MidiParseError` for anything unreadable. */
export function parseMidi(bytes: Uint8Array, options: ReadMidiOptions = {}): MidiReadResult {
  const smf = parseSmf(bytes, options.path ?? 'This file');
  const dropDrums = options.dropDrums ?? true;
  const report: MidiReadReport = {
    format: smf.format,
    trackCount: smf.tracks.length,
    droppedDrumNotes: 0,
    droppedZeroLengthNotes: 0,
    shortestNotes: 0,
    unterminatedNotes: 0,
    retriggeredNotes: 0,
    strayNoteOffs: 0,
    ignoredMetaEvents: 0,
  };
  const notes: Note[] = [];
  const pedals: PedalEvent[] = [];
  const tempos: TempoEvent[] = [];
  const timeSignatures: TimeSignatureEvent[] = [];
  const keySignatures: KeySignatureEvent[] = [];
  const texts: MidiText[] = [];
  const tracks = smf.tracks.map((track, index) =>
    readTrack(track, index, dropDrums, report, { notes, pedals, tempos, timeSignatures, keySignatures, texts }),
  );

  notes.sort((a, b) => compareNotes(a, b) || a.channel - b.channel);
  pedals.sort((a, b) => a.ticks - b.ticks || a.track - b.track || a.channel - b.channel);
  let song: Song = {
    ppq: smf.ppq,
    notes,
    tempos: lastPerTick(tempos, { ticks: 0, bpm: DEFAULT_BPM }),
    timeSignatures: lastPerTick(timeSignatures, { ticks: 0, numerator: 4, denominator: 4 }),
    keySignatures: lastPerTick(keySignatures, null),
    pedals,
    tracks,
  };
  // The spec makes the first track's name the sequence's name in formats 0 and 1.
  if (tracks[0]?.name) song.name = tracks[0].name;
  if (options.sustain ?? true) song = applySustain(song);
  return { song, report, texts };
}

/** The largest MIDI file Cadenza reads; real MIDI files are far smaller (the corpus's largest is about 0.2 MB). */
export const MAX_MIDI_BYTES = 64 * 1024 * 1024;

/** Throws `MidiParseError` naming `file` when `sizeBytes` is over `MAX_MIDI_BYTES`, before anything is read. */
export function checkMidiSize(sizeBytes: number, file: string): void {
  if (sizeBytes > MAX_MIDI_BYTES)
    throw new MidiParseError(
      `${file} is not a readable MIDI file: it is ${(sizeBytes / 2 ** 20).toFixed(0)} MB, and Cadenza reads MIDI files of up to ${MAX_MIDI_BYTES / 2 ** 20} MB.`,
      { path: file },
    );
}

interface Sounding {
  startTicks: number;
  velocity: number;
  /** True while a note-off at `startTicks` would belong to the note this one cut short. */
  struckOverOther: boolean;
}

interface Sinks {
  notes: Note[];
  pedals: PedalEvent[];
  tempos: TempoEvent[];
  timeSignatures: TimeSignatureEvent[];
  keySignatures: KeySignatureEvent[];
  texts: MidiText[];
}

function readTrack(
  track: SmfTrack,
  index: number,
  dropDrums: boolean,
  report: MidiReadReport,
  out: Sinks,
): TrackInfo {
  const sounding = new Map<number, Sounding>();
  const notesPerChannel = new Array<number>(16).fill(0);
  const programPerChannel = new Array<number | undefined>(16);
  const pedalDown = new Array<boolean>(16).fill(false);
  let firstProgram: number | undefined;
  let name: string | undefined;

  const finish = (key: number, s: Sounding, endTicks: number, released = false): void => {
    if (endTicks <= s.startTicks) {
      if (!released) {
        report.droppedZeroLengthNotes++;
        return;
      }
      report.shortestNotes++;
      endTicks = s.startTicks + 1;
    }
    out.notes.push({
      pitch: key & 0x7f,
      velocity: s.velocity,
      startTicks: s.startTicks,
      endTicks,
      track: index,
      channel: key >> 7,
    });
  };

  for (const e of track.events) {
    switch (e.kind) {
      case 'noteOn': {
        notesPerChannel[e.channel]!++;
        if (dropDrums && e.channel === 9) {
          report.droppedDrumNotes++;
          break;
        }
        const key = (e.channel << 7) | e.pitch;
        const previous = sounding.get(key);
        if (previous) {
          report.retriggeredNotes++;
          finish(key, previous, e.ticks);
        }
        sounding.set(key, {
          startTicks: e.ticks,
          velocity: e.velocity,
          struckOverOther: previous !== undefined,
        });
        break;
      }
      case 'noteOff': {
        if (dropDrums && e.channel === 9) break;
        const key = (e.channel << 7) | e.pitch;
        const s = sounding.get(key);
        if (!s) report.strayNoteOffs++;
        else if (s.struckOverOther && s.startTicks === e.ticks) s.struckOverOther = false;
        else {
          sounding.delete(key);
          finish(key, s, e.ticks, true);
        }
        break;
      }
      case 'controller': {
        if (e.controller !== 64 || (dropDrums && e.channel === 9)) break;
        const down = e.value >= 64;
        if (down !== pedalDown[e.channel]) {
          pedalDown[e.channel] = down;
          out.pedals.push({ ticks: e.ticks, track: index, channel: e.channel, down });
        }
        break;
      }
      case 'program':
        programPerChannel[e.channel] ??= e.program;
        firstProgram ??= e.program;
        break;
      case 'tempo':
        if (e.microsecondsPerQuarter > 0)
          out.tempos.push({ ticks: e.ticks, bpm: 60_000_000 / e.microsecondsPerQuarter });
        else report.ignoredMetaEvents++;
        break;
      case 'timeSignature':
        // Denominators beyond 1/128 only come from corrupt files.
        if (e.numerator > 0 && e.denominatorPower <= 7)
          out.timeSignatures.push({
            ticks: e.ticks,
            numerator: e.numerator,
            denominator: 2 ** e.denominatorPower,
          });
        else report.ignoredMetaEvents++;
        break;
      case 'keySignature': {
        const key = e.minor <= 1 ? keyName(e.sharps, e.minor === 1) : null;
        if (key) out.keySignatures.push({ ticks: e.ticks, key, scale: e.minor === 1 ? 'minor' : 'major' });
        else report.ignoredMetaEvents++;
        break;
      }
      case 'trackName':
        name ??= e.text;
        if (out.texts.length < MAX_TEXTS) out.texts.push({ track: index, ticks: e.ticks, kind: 'trackName', text: e.text });
        break;
      case 'text':
      case 'copyright':
        if (out.texts.length < MAX_TEXTS) out.texts.push({ track: index, ticks: e.ticks, kind: e.kind, text: e.text });
        break;
      case 'malformedMeta':
        report.ignoredMetaEvents++;
        break;
    }
  }
  // Sorted by key so notes ended together are emitted in the same order on every run.
  for (const key of [...sounding.keys()].sort((a, b) => a - b)) {
    const s = sounding.get(key)!;
    if (track.endTicks > s.startTicks) report.unterminatedNotes++;
    finish(key, s, track.endTicks);
  }

  let channel = 0;
  for (let c = 1; c < 16; c++) if (notesPerChannel[c]! > notesPerChannel[channel]!) channel = c;
  return {
    name: name ?? '',
    program: programPerChannel[channel] ?? firstProgram ?? 0,
    channel,
    isDrum: channel === 9 && notesPerChannel[9]! > 0,
  };
}

/** Sorts events by tick keeping file order for ties, keeps the last at each tick, and supplies a tick-0 default. */
function lastPerTick<T extends { ticks: number }>(events: T[], atZero: T | null): T[] {
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.ticks - b.e.ticks || a.i - b.i);
  const out: T[] = [];
  for (const { e } of sorted) {
    if (out.length && out[out.length - 1]!.ticks === e.ticks) out[out.length - 1] = e;
    else out.push(e);
  }
  if (atZero && (out.length === 0 || out[0]!.ticks > 0)) out.unshift(atZero);
  return out;
}

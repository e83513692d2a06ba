/**
 * The one song type that passes between every stage (after magenta's NoteSequence and
 * Tone.js's MIDI library): notes and events are stored in ticks; seconds are derived through the
 * tempo map (see `tempo.ts`). A Song is plain data: it survives JSON and structured clone.
 */
import type { Bpm, MidiNote, Ticks, Velocity } from '../units';

/** One sounding note. */
export interface Note {
  /** MIDI note number, 0..127. */
  pitch: MidiNote;
  /** MIDI velocity, 1..127. */
  velocity: Velocity;
  /** Onset, in ticks from the song's start. */
  startTicks: Ticks;
  /** Release, in ticks from the song's start; always > startTicks. */
  endTicks: Ticks;
  /** Index into `Song.tracks`. */
  track: number;
  /** MIDI channel 0..15 (9 is the General MIDI drum channel). */
  channel: number;
}

/** A tempo change. */
export interface TempoEvent {
  /** Where it takes effect, in ticks. */
  ticks: Ticks;
  /** Quarter notes per minute from here on. */
  bpm: Bpm;
}

/** A time signature change. */
export interface TimeSignatureEvent {
  /** Where it takes effect, in ticks. */
  ticks: Ticks;
  /** Beats per bar (the upper number). */
  numerator: number;
  /** The beat's note value (the lower number: 4 = quarter note). */
  denominator: number;
}

/** A key signature change. */
export interface KeySignatureEvent {
  /** Where it takes effect, in ticks. */
  ticks: Ticks;
  /** Tonic as a pitch-class name, e.g. 'C', 'F#', 'Bb'. */
  key: string;
  /** Mode. */
  scale: 'major' | 'minor';
}

/** A sustain-pedal (CC64) change. */
export interface PedalEvent {
  /** When the pedal moves, in ticks. */
  ticks: Ticks;
  /** Index into `Song.tracks`. */
  track: number;
  /** MIDI channel 0..15. */
  channel: number;
  /** True when pressed (CC64 value >= 64). */
  down: boolean;
}

/** What a track holds. */
export interface TrackInfo {
  /** Track name from the file, or ''. */
  name: string;
  /** General MIDI program 0..127 (0 = acoustic grand piano). */
  program: number;
  /** The channel most of its notes use. */
  channel: number;
  /** True for percussion (channel 10, index 9). */
  isDrum: boolean;
}

/** A piece of music. */
export interface Song {
  /** Ticks per quarter note (pulses per quarter). */
  ppq: number;
  /** Notes, sorted by startTicks, then pitch. */
  notes: Note[];
  /** Tempo changes sorted by ticks; the first is at tick 0 (120 BPM when the file has none). */
  tempos: TempoEvent[];
  /** Time signatures sorted by ticks; the first is at tick 0 (4/4 when the file has none). */
  timeSignatures: TimeSignatureEvent[];
  /** Key signatures sorted by ticks; may be empty. */
  keySignatures: KeySignatureEvent[];
  /** Sustain-pedal changes sorted by ticks. */
  pedals: PedalEvent[];
  /** Tracks, indexed by `Note.track`. */
  tracks: TrackInfo[];
  /** A title, when known. */
  name?: string;
}

/** The default tempo when a file has none, as the MIDI standard says. */
export const DEFAULT_BPM: Bpm = 120;

/** Orders notes by onset, then pitch, then end; the canonical order of `Song.notes`. */
export function compareNotes(a: Note, b: Note): number {
  return a.startTicks - b.startTicks || a.pitch - b.pitch || a.endTicks - b.endTicks || a.track - b.track;
}

/** An empty song with one piano track, 120 BPM and 4/4. */
export function emptySong(ppq = 480): Song {
  return {
    ppq,
    notes: [],
    tempos: [{ ticks: 0, bpm: DEFAULT_BPM }],
    timeSignatures: [{ ticks: 0, numerator: 4, denominator: 4 }],
    keySignatures: [],
    pedals: [],
    tracks: [{ name: 'Piano', program: 0, channel: 0, isDrum: false }],
  };
}

/** The tick of the last note release (0 for a song with no notes). */
export function endTicks(song: Song): Ticks {
  let end = 0;
  for (const n of song.notes) if (n.endTicks > end) end = n.endTicks;
  return end;
}

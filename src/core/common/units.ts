/** Units as type aliases, after Tone.js: a name says what a number measures. */

/** MIDI ticks, counted from the start of the song; one quarter note is `Song.ppq` ticks. */
export type Ticks = number;
/** Seconds of wall-clock time. */
export type Seconds = number;
/** Milliseconds of wall-clock time. */
export type Milliseconds = number;
/** A MIDI note number, 0..127 (60 = middle C, C4). */
export type MidiNote = number;
/** A MIDI velocity, 1..127 for a sounding note. */
export type Velocity = number;
/** Tempo in quarter notes per minute. */
export type Bpm = number;
/** A sample rate or frequency in hertz. */
export type Hertz = number;
/** A count of audio sample frames (one frame = one sample per channel). */
export type Frames = number;
/** A level in decibels relative to full scale (0 dBFS = the largest sample value). */
export type Decibels = number;
/** Integrated loudness in LUFS (EBU R128 / ITU-R BS.1770). */
export type Lufs = number;

/** The piano's range: A0 (21) to C8 (108). */
export const PIANO_LOWEST: MidiNote = 21;
/** The piano's highest key, C8. */
export const PIANO_HIGHEST: MidiNote = 108;

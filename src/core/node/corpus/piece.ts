/** One piece in the corpus index, and the figures the store computes from its notes. */
import { z } from 'zod';
import type { Song } from '../../common/song/song';
import { tempoMapOf } from '../../common/song/tempo';
import type { Bpm, MidiNote, Seconds } from '../../common/units';

/** A piece as the index records it: its id is the sha-256 of the MIDI bytes, so one file is one piece. */
export interface Piece {
  /** sha-256 of the stored MIDI bytes, 64 lowercase hex digits (show `shortId(id)`). */
  id: string;
  /** From metadata.csv, else the file's meta events, else its folder's name (see `metadata.ts`); the user may change it. */
  composer: string;
  /** From metadata.csv, else the file's meta events, else its file name; the user may change it. */
  title: string;
  /** Year of composition, when metadata.csv gives one. */
  year?: number;
  /** Seconds from the start to the last note release, with the sustain pedal applied. */
  durationSeconds: Seconds;
  /** Notes after reading (drum notes and zero-length notes dropped). */
  noteCount: number;
  /** Lowest and highest MIDI note played. */
  pitchRange: { lowest: MidiNote; highest: MidiNote };
  /** Average tempo: quarter notes per minute over the whole piece (beats / minutes, the time-weighted mean). */
  tempoBpm: Bpm;
  /** MTrk chunks in the file, empty ones included. */
  trackCount: number;
  /** Size of the stored MIDI file in bytes. */
  sizeBytes: number;
  /** When it was imported (ISO 8601). */
  importedAt: string;
  /** The absolute path it was imported from (the store keeps its own copy). */
  sourcePath: string;
}

/** The runtime check of a `Piece` read back from index.json. */
export const pieceSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  composer: z.string(),
  title: z.string(),
  year: z.number().int().optional(),
  durationSeconds: z.number().min(0),
  noteCount: z.number().int().min(0),
  pitchRange: z.object({
    lowest: z.number().int().min(0).max(127),
    highest: z.number().int().min(0).max(127),
  }),
  tempoBpm: z.number().positive(),
  trackCount: z.number().int().min(0),
  sizeBytes: z.number().int().min(0),
  importedAt: z.string(),
  sourcePath: z.string(),
});

/** The part of a `Piece` that comes from its notes. */
export type PieceStats = Pick<
  Piece,
  'durationSeconds' | 'noteCount' | 'pitchRange' | 'tempoBpm' | 'trackCount'
>;

/** Computes a song's index figures; the song must hold at least one note. */
export function pieceStats(song: Song): PieceStats {
  let lowest = 127;
  let highest = 0;
  let endTicks = 0;
  for (const n of song.notes) {
    if (n.pitch < lowest) lowest = n.pitch;
    if (n.pitch > highest) highest = n.pitch;
    if (n.endTicks > endTicks) endTicks = n.endTicks;
  }
  const durationSeconds = tempoMapOf(song).toSeconds(endTicks);
  const tempoBpm =
    durationSeconds > 0 ? endTicks / song.ppq / (durationSeconds / 60) : (song.tempos[0]?.bpm ?? 120);
  return {
    durationSeconds,
    noteCount: song.notes.length,
    pitchRange: { lowest, highest },
    tempoBpm,
    trackCount: song.tracks.length,
  };
}

/** The first 12 hex digits of an id, enough to tell pieces apart in a listing. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

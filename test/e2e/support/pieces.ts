/**
 * Small piano pieces for the CLI end-to-end tests, written by the tests themselves (no binary
 * fixtures in the repository): a melody that walks a scale over left-hand chords, a few hundred
 * notes each, deterministic for a given seed, so every stage has real music to chew on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../../../src/core/common/random';
import type { Note, Song } from '../../../src/core/common/song/song';
import { emptySong } from '../../../src/core/common/song/song';
import { encodeMidi } from '../../../src/core/node/midi/write';

const PPQ = 480;

/** What one written fixture holds, for assertions. */
export interface FixturePiece {
  /** Absolute path of the .mid file. */
  file: string;
  /** Notes written. */
  noteCount: number;
  /** Lowest and highest pitch written. */
  lowestPitch: number;
  highestPitch: number;
}

const MAJOR = [0, 2, 4, 5, 7, 9, 11];

/** A piece of `bars` bars of 4/4 in the major key on `tonic` (a pitch class 0..11). */
export function fixtureSong(seed: number, bars = 24, tonic = 0, bpm = 100): Song {
  const rng = new Rng(seed);
  const notes: Note[] = [];
  const scalePitch = (degree: number): number =>
    60 + tonic + 12 * Math.floor(degree / 7) + MAJOR[((degree % 7) + 7) % 7]!;
  const add = (pitch: number, startBeats: number, lengthBeats: number, velocity: number): void => {
    notes.push({
      pitch,
      velocity,
      startTicks: Math.round(startBeats * PPQ),
      endTicks: Math.round((startBeats + lengthBeats) * PPQ),
      track: 0,
      channel: 0,
    });
  };
  let degree = 7;
  const progression = [0, 5, 3, 4];
  for (let bar = 0; bar < bars; bar++) {
    const root = progression[bar % 4]!;
    // Left hand: a root-position triad two octaves down, re-struck on beats 1 and 3.
    for (const beat of [0, 2])
      for (const step of [0, 2, 4]) add(scalePitch(root + step) - 24, bar * 4 + beat, 1.9, 52 + rng.int(16));
    // Right hand: eighth notes walking the scale, with the odd leap so intervals vary.
    for (let eighth = 0; eighth < 8; eighth++) {
      degree += rng.next() < 0.15 ? (rng.next() < 0.5 ? -3 : 3) : rng.next() < 0.5 ? -1 : 1;
      degree = Math.min(16, Math.max(0, degree));
      add(scalePitch(degree), bar * 4 + eighth / 2, 0.45, 64 + rng.int(40));
    }
  }
  const song = emptySong(PPQ);
  song.tempos = [{ ticks: 0, bpm }];
  song.notes = notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
  song.name = `Fixture ${seed}`;
  return song;
}

/** Writes `count` fixture pieces (different seeds, keys and tempi) into `dir` as .mid files. */
export function writeFixturePieces(dir: string, count: number, bars = 24): FixturePiece[] {
  mkdirSync(dir, { recursive: true });
  const pieces: FixturePiece[] = [];
  for (let i = 0; i < count; i++) {
    const song = fixtureSong(100 + i, bars, (i * 5) % 12, 90 + 10 * i);
    const file = path.join(dir, `fixture-${i + 1}.mid`);
    writeFileSync(file, encodeMidi(song));
    const pitches = song.notes.map((n) => n.pitch);
    pieces.push({
      file,
      noteCount: song.notes.length,
      lowestPitch: Math.min(...pitches),
      highestPitch: Math.max(...pitches),
    });
  }
  return pieces;
}

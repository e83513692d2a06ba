import { describe, expect, it } from 'vitest';
import type { Note } from '../song/song';
import { emptySong } from '../song/song';
import { makePlayable, PIANO_HIGHEST, PIANO_LOWEST } from './playable';

const note = (pitch: number, startTicks: number, endTicks: number, velocity = 80): Note => ({
  pitch,
  velocity,
  startTicks,
  endTicks,
  track: 0,
  channel: 0,
});

describe('makePlayable', () => {
  it('folds out-of-range pitches by octaves into the piano range', () => {
    const song = { ...emptySong(), notes: [note(12, 0, 10), note(120, 0, 10), note(60, 0, 10)] };
    const { song: out, report } = makePlayable(song);
    expect(out.notes.map((n) => n.pitch)).toEqual([24, 60, 108]);
    expect(report.foldedNotes).toBe(2);
    for (const n of out.notes) expect(n.pitch >= PIANO_LOWEST && n.pitch <= PIANO_HIGHEST).toBe(true);
  });

  it('lengthens zero-length notes to a 32nd', () => {
    const { song, report } = makePlayable({ ...emptySong(480), notes: [note(60, 100, 100)] });
    expect(song.notes[0]).toMatchObject({ startTicks: 100, endTicks: 160 });
    expect(report.lengthenedNotes).toBe(1);
  });

  it('trims a note when its key is struck again, and merges exact duplicates', () => {
    const { song, report } = makePlayable({
      ...emptySong(),
      notes: [note(60, 0, 480), note(60, 240, 720), note(64, 0, 100), note(64, 0, 300)],
    });
    expect(song.notes.map((n) => [n.pitch, n.startTicks, n.endTicks])).toEqual([
      [60, 0, 240],
      [64, 0, 300],
      [60, 240, 720],
    ]);
    expect(report).toMatchObject({ trimmedNotes: 1, droppedDuplicates: 1 });
  });

  it('adds a tempo and a time signature at tick 0 when missing, and clamps velocities', () => {
    const { song } = makePlayable({ ...emptySong(), tempos: [], timeSignatures: [], notes: [note(60, 0, 10, 300)] });
    expect(song.tempos[0]).toEqual({ ticks: 0, bpm: 120 });
    expect(song.timeSignatures[0]).toEqual({ ticks: 0, numerator: 4, denominator: 4 });
    expect(song.notes[0]!.velocity).toBe(127);
  });

  it('does not change the input song', () => {
    const input = { ...emptySong(), notes: [note(60, 0, 480), note(60, 240, 720)] };
    makePlayable(input);
    expect(input.notes[0]!.endTicks).toBe(480);
  });
});

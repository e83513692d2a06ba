import { describe, expect, it } from 'vitest';
import type { Note } from '../../../../core/common/song/song';
import { NoteIndex } from './noteIndex';
import { noteAt } from './hitTest';

const note = (pitch: number, startTicks: number, endTicks: number, velocity = 80): Note => ({
  pitch,
  velocity,
  startTicks,
  endTicks,
  track: 0,
  channel: 0,
});

function visible(index: NoteIndex, t0: number, t1: number, lo = 0, hi = 127): number[] {
  const out: number[] = [];
  index.forEachVisible(t0, t1, lo, hi, (i) => out.push(index.startTicks[i]! * 1000 + index.pitches[i]!));
  return out;
}

describe('NoteIndex', () => {
  const notes = [note(60, 0, 480), note(64, 480, 960), note(67, 960, 5000), note(72, 2000, 2100), note(48, 4800, 5200)];
  const index = new NoteIndex(notes);

  it('sorts unsorted input by start and records the longest note', () => {
    const shuffled = new NoteIndex([notes[3]!, notes[0]!, notes[4]!, notes[2]!, notes[1]!]);
    expect(Array.from(shuffled.startTicks)).toEqual([0, 480, 960, 2000, 4800]);
    expect(Array.from(shuffled.pitches)).toEqual([60, 64, 67, 72, 48]);
    expect(shuffled.maxDurationTicks).toBe(4040);
    expect(shuffled.lastEndTicks).toBe(5200);
  });

  it('returns notes that overlap the window, including long notes that started before it', () => {
    // 67 started at 960 and still sounds at 3000; 72 ended at 2100.
    expect(visible(index, 3000, 4000)).toEqual([960_067]);
    expect(visible(index, 2050, 2060)).toEqual([960_067, 2_000_072]);
    expect(visible(index, 4900, 6000)).toEqual([960_067, 4_800_048]);
  });

  it('treats the window as half-open: a note ending at its start is not visible', () => {
    expect(visible(index, 480, 481)).toEqual([480_064]);
    expect(visible(index, 0, 480)).toEqual([60]);
  });

  it('filters by pitch range', () => {
    expect(visible(index, 0, 10_000, 60, 66)).toEqual([60, 480_064]);
  });

  it('agrees with a brute-force scan on random notes', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const many: Note[] = [];
    for (let i = 0; i < 3000; i++) {
      const s = Math.floor(rand() * 100_000);
      many.push(note(21 + Math.floor(rand() * 88), s, s + 1 + Math.floor(rand() * 3000)));
    }
    const idx = new NoteIndex(many);
    for (let q = 0; q < 50; q++) {
      const t0 = rand() * 100_000;
      const t1 = t0 + rand() * 5000;
      const lo = 21 + Math.floor(rand() * 40);
      const hi = lo + Math.floor(rand() * 48);
      let expected = 0;
      for (const n of many) if (n.startTicks < t1 && n.endTicks > t0 && n.pitch >= lo && n.pitch <= hi) expected++;
      let got = 0;
      idx.forEachVisible(t0, t1, lo, hi, () => got++);
      expect(got).toBe(expected);
    }
  });

  it('handles an empty song', () => {
    const empty = new NoteIndex([]);
    expect(empty.length).toBe(0);
    expect(empty.lastEndTicks).toBe(0);
    expect(visible(empty, 0, 1000)).toEqual([]);
  });
});

describe('noteAt', () => {
  it('finds the note under a point and prefers the later of overlapping notes', () => {
    const index = new NoteIndex([note(60, 0, 1000), note(60, 500, 700), note(62, 0, 100)]);
    expect(index.startTicks[noteAt(index, 600, 60)]).toBe(500);
    expect(index.startTicks[noteAt(index, 800, 60)]).toBe(0);
    expect(index.pitches[noteAt(index, 50, 62)]).toBe(62);
    expect(noteAt(index, 150, 62)).toBe(-1);
    expect(noteAt(index, 600, 61)).toBe(-1);
    // Release is exclusive.
    expect(noteAt(index, 1000, 60)).toBe(-1);
  });
});

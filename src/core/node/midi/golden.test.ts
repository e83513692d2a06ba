import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Note } from '../../common/song/song';
import { listMidiFiles, sharedCorpusOrSkip } from '../testing/sharedCorpus';
import { parseMidi } from '../../common/midi/read';
import { readMidiFile } from './read';
import { encodeMidi } from './write';

/** What fixtures/golden.py computed with mido for each file (see that script for how). */
interface Golden {
  format: number;
  ppq: number;
  trackCount: number;
  noteCount: number;
  totalNoteTicks: number;
  firstNotes: Note[];
  lastNotes: Note[];
  retriggeredNotes: number;
  strayNoteOffs: number;
  unterminatedNotes: number;
  droppedZeroLengthNotes: number;
  droppedDrumNotes: number;
  pedalChanges: number;
  tempoCount: number;
  firstTempos: Array<{ ticks: number; bpm: number }>;
  timeSignatures: Array<{ ticks: number; numerator: number; denominator: number }>;
  keySignatures: Array<{ ticks: number; key: string }>;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8')) as {
  files: Record<string, Golden>;
};
const corpus = sharedCorpusOrSkip();
const pick = (n: {
  [K in 'startTicks' | 'pitch' | 'endTicks' | 'track' | 'channel' | 'velocity']: number;
}) => ({
  startTicks: n.startTicks,
  pitch: n.pitch,
  endTicks: n.endTicks,
  track: n.track,
  channel: n.channel,
  velocity: n.velocity,
});

describe.skipIf(!corpus)('parseMidi against mido on corpus files', () => {
  for (const [file, want] of Object.entries(golden.files)) {
    it(`reads ${file} as mido does`, async () => {
      const { song, report } = await readMidiFile(path.join(corpus!, file), { sustain: false });
      expect(report).toMatchObject({
        format: want.format,
        trackCount: want.trackCount,
        retriggeredNotes: want.retriggeredNotes,
        strayNoteOffs: want.strayNoteOffs,
        unterminatedNotes: want.unterminatedNotes,
        droppedZeroLengthNotes: want.droppedZeroLengthNotes,
        droppedDrumNotes: want.droppedDrumNotes,
      });
      expect(song.ppq).toBe(want.ppq);
      expect(song.tracks).toHaveLength(want.trackCount);
      expect(song.notes).toHaveLength(want.noteCount);
      expect(song.notes.reduce((s, n) => s + n.endTicks - n.startTicks, 0)).toBe(want.totalNoteTicks);
      expect(song.notes.slice(0, want.firstNotes.length).map(pick)).toEqual(want.firstNotes.map(pick));
      expect(song.notes.slice(-want.lastNotes.length).map(pick)).toEqual(want.lastNotes.map(pick));
      expect(song.pedals).toHaveLength(want.pedalChanges);
      expect(song.tempos).toHaveLength(want.tempoCount);
      want.firstTempos.forEach((t, i) => {
        expect(song.tempos[i]!.ticks).toBe(t.ticks);
        expect(song.tempos[i]!.bpm).toBeCloseTo(t.bpm, 9);
      });
      expect(song.timeSignatures.slice(0, want.timeSignatures.length)).toEqual(want.timeSignatures);
      expect(
        song.keySignatures
          .slice(0, want.keySignatures.length)
          .map((k) => ({ ticks: k.ticks, key: k.key + (k.scale === 'minor' ? 'm' : '') })),
      ).toEqual(want.keySignatures);
    });
  }

  it('writes corpus files back (every fifth one) with every note, signature and pedal change intact', async () => {
    const files = listMidiFiles(corpus!).filter((_, i) => i % 5 === 0);
    for (const file of files) {
      const { song } = await readMidiFile(file, { sustain: false });
      const back = parseMidi(encodeMidi(song), { sustain: false, path: `${file} (rewritten)` });
      // Deep-equal on thousands of notes is slow in vitest: compare as JSON, and diff only on a mismatch.
      if (JSON.stringify(back.song.notes) !== JSON.stringify(song.notes))
        expect(back.song.notes).toEqual(song.notes);
      if (JSON.stringify(back.song.pedals) !== JSON.stringify(song.pedals))
        expect(back.song.pedals).toEqual(song.pedals);
      expect(back.song.timeSignatures).toEqual(song.timeSignatures);
      expect(back.song.keySignatures).toEqual(song.keySignatures);
      expect(back.song.tracks.map((t) => t.channel)).toEqual(song.tracks.map((t) => t.channel));
      expect(back.song.tempos.map((t) => t.ticks)).toEqual(song.tempos.map((t) => t.ticks));
      // A tempo event holds whole microseconds per quarter, so bpm comes back to within that rounding.
      back.song.tempos.forEach((t, i) =>
        expect(Math.abs(t.bpm - song.tempos[i]!.bpm) / t.bpm).toBeLessThan(1e-6),
      );
      expect(back.report).toMatchObject({
        retriggeredNotes: 0,
        strayNoteOffs: 0,
        unterminatedNotes: 0,
        droppedZeroLengthNotes: 0,
      });
    }
  });

  it('reads every corpus file, with sustain lengthening notes and never shortening them', async () => {
    const files = listMidiFiles(corpus!);
    expect(files.length).toBeGreaterThanOrEqual(291);
    let notes = 0;
    for (const file of files) {
      const raw = await readMidiFile(file, { sustain: false });
      const held = await readMidiFile(file);
      expect(held.song.notes).toHaveLength(raw.song.notes.length);
      const rawTotal = raw.song.notes.reduce((s, n) => s + n.endTicks - n.startTicks, 0);
      const heldTotal = held.song.notes.reduce((s, n) => s + n.endTicks - n.startTicks, 0);
      expect(heldTotal).toBeGreaterThanOrEqual(rawTotal);
      notes += raw.song.notes.length;
    }
    expect(notes).toBeGreaterThan(500_000);
  });
});

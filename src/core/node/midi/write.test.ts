import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ToneMidi from '@tonejs/midi';
import type { Midi as MidiClass } from '@tonejs/midi';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../common/errors';
import type { Song } from '../../common/song/song';
import { parseMidi } from '../../common/midi/read';
import { readMidiFile } from './read';
import { encodeMidi, writeMidiFile } from './write';

const { Midi } = ToneMidi as unknown as { Midi: typeof MidiClass };

/** A song that uses everything the writer writes: several tracks and channels, tempo changes, signatures, pedal. */
function richSong(): Song {
  return {
    ppq: 384,
    name: 'Round trip',
    notes: [
      { pitch: 60, velocity: 90, startTicks: 0, endTicks: 384, track: 1, channel: 0 },
      { pitch: 64, velocity: 70, startTicks: 0, endTicks: 192, track: 1, channel: 1 },
      { pitch: 60, velocity: 91, startTicks: 384, endTicks: 768, track: 1, channel: 0 },
      { pitch: 36, velocity: 50, startTicks: 100, endTicks: 5000, track: 2, channel: 2 },
      { pitch: 127, velocity: 127, startTicks: 200000, endTicks: 200001, track: 2, channel: 15 },
      { pitch: 0, velocity: 1, startTicks: 7, endTicks: 9, track: 0, channel: 3 },
    ],
    tempos: [
      { ticks: 0, bpm: 120 },
      { ticks: 768, bpm: 75 },
      { ticks: 1536, bpm: 90 },
    ],
    timeSignatures: [
      { ticks: 0, numerator: 6, denominator: 8 },
      { ticks: 2304, numerator: 2, denominator: 2 },
    ],
    keySignatures: [
      { ticks: 0, key: 'Eb', scale: 'major' },
      { ticks: 768, key: 'C#', scale: 'minor' },
    ],
    pedals: [
      { ticks: 0, track: 1, channel: 0, down: true },
      { ticks: 700, track: 1, channel: 0, down: false },
      { ticks: 50, track: 2, channel: 2, down: true },
      { ticks: 4000, track: 2, channel: 2, down: false },
    ],
    tracks: [
      { name: 'Round trip', program: 0, channel: 3, isDrum: false },
      { name: 'Right hand', program: 0, channel: 0, isDrum: false },
      { name: 'Left hand', program: 1, channel: 2, isDrum: false },
    ],
  };
}

describe('encodeMidi', () => {
  it('round-trips every note, tempo, signature and pedal event through parseMidi', () => {
    const song = richSong();
    const { song: back, report } = parseMidi(encodeMidi(song), { sustain: false });
    const order = (s: Song) =>
      [...s.notes].sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch || a.channel - b.channel);
    expect(order(back)).toEqual(order(song));
    expect(back.ppq).toBe(384);
    expect(back.tempos.map((t) => t.ticks)).toEqual([0, 768, 1536]);
    back.tempos.forEach((t, i) => expect(t.bpm).toBeCloseTo(song.tempos[i]!.bpm, 3));
    expect(back.timeSignatures).toEqual(song.timeSignatures);
    expect(back.keySignatures).toEqual(song.keySignatures);
    expect(back.pedals).toEqual([...song.pedals].sort((a, b) => a.ticks - b.ticks));
    expect(back.tracks).toEqual(song.tracks);
    expect(back.name).toBe('Round trip');
    expect(report).toMatchObject({
      format: 1,
      retriggeredNotes: 0,
      strayNoteOffs: 0,
      unterminatedNotes: 0,
      droppedZeroLengthNotes: 0,
    });
  });

  it('writes files another reader (@tonejs/midi) reads to the same notes', () => {
    const song = richSong();
    const midi = new Midi(encodeMidi(song));
    // @tonejs/midi splits a track per channel, so only pitch and timing are compared.
    const theirs = midi.tracks.flatMap((t) =>
      t.notes.map((n) => `${n.midi}@${n.ticks}-${n.ticks + n.durationTicks}`),
    );
    const ours = song.notes.map((n) => `${n.pitch}@${n.startTicks}-${n.endTicks}`);
    expect(theirs.sort()).toEqual(ours.sort());
    expect(midi.header.ppq).toBe(384);
    expect(midi.header.tempos.map((t) => Math.round(t.bpm))).toEqual([120, 75, 90]);
  });

  it('writes overlapping notes of one key as the reader pairs them', () => {
    const song = richSong();
    song.notes = [
      { pitch: 60, velocity: 80, startTicks: 0, endTicks: 100, track: 1, channel: 0 },
      { pitch: 60, velocity: 81, startTicks: 50, endTicks: 150, track: 1, channel: 0 },
      { pitch: 62, velocity: 82, startTicks: 200, endTicks: 250, track: 1, channel: 0 },
      { pitch: 62, velocity: 83, startTicks: 200, endTicks: 300, track: 1, channel: 0 },
    ];
    const back = parseMidi(encodeMidi(song), { sustain: false }).song.notes;
    expect(back.map((n) => `${n.pitch}@${n.startTicks}-${n.endTicks} v${n.velocity}`)).toEqual([
      '60@0-50 v80',
      '60@50-150 v81',
      '62@200-300 v83',
    ]);
  });

  it('rounds fractional ticks and clamps velocities, and refuses impossible values with the field named', () => {
    const song = richSong();
    song.notes = [{ pitch: 60, velocity: 200, startTicks: 10.4, endTicks: 99.6, track: 1, channel: 0 }];
    expect(parseMidi(encodeMidi(song), { sustain: false }).song.notes[0]).toMatchObject({
      startTicks: 10,
      endTicks: 100,
      velocity: 127,
    });
    song.notes[0]!.pitch = 128;
    expect(() => encodeMidi(song)).toThrow(DataError);
    expect(() => encodeMidi(song)).toThrow(/notes\[0\]\.pitch is 128/);
    expect(() => encodeMidi({ ...richSong(), ppq: 0 })).toThrow(/ppq is 0/);
    expect(() =>
      encodeMidi({ ...richSong(), timeSignatures: [{ ticks: 0, numerator: 3, denominator: 3 }] }),
    ).toThrow(/3\/3/);
  });

  it('writes a song without tracks as one track', () => {
    const song: Song = { ...richSong(), tracks: [], name: undefined };
    const back = parseMidi(encodeMidi(song), { sustain: false }).song;
    expect(back.tracks).toHaveLength(1);
    expect(back.notes).toHaveLength(song.notes.length);
    expect(back.notes.every((n) => n.track === 0)).toBe(true);
  });

  it('writes a file atomically that reads back', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-midi-'));
    const file = path.join(dir, 'out.mid');
    await writeMidiFile(file, richSong());
    const { song } = await readMidiFile(file, { sustain: false });
    expect(song.notes).toHaveLength(6);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

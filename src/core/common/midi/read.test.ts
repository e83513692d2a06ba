import { describe, expect, it } from 'vitest';
import { MidiParseError } from '../errors';
import type { Note } from '../song/song';
import { MAX_TEXTS, parseMidi } from './read';
import { ev, smfFile, track } from './smfBuilder';

/** The fields a test compares, in the Song's note order. */
const brief = (notes: Note[]): string[] =>
  notes.map((n) => `${n.pitch}@${n.startTicks}-${n.endTicks} v${n.velocity} t${n.track} c${n.channel}`);

const read = (bytes: Uint8Array, opts: { sustain?: boolean; dropDrums?: boolean } = {}) =>
  parseMidi(bytes, { path: 'test.mid', sustain: false, ...opts });

describe('parseMidi', () => {
  it('reads a format-0 file with its notes, tempo and signatures', () => {
    const bytes = smfFile(0, 480, [
      track([
        ev.name(0, 'Etude'),
        ev.tempo(0, 100),
        ev.timeSig(0, 3, 2),
        ev.keySig(0, -3, 1),
        ev.on(0, 0, 60, 90),
        ev.off(480, 0, 60),
        ev.on(0, 0, 64, 70),
        ev.off(240, 0, 64),
      ]),
    ]);
    const { song, report } = read(bytes);
    expect(report.format).toBe(0);
    expect(brief(song.notes)).toEqual(['60@0-480 v90 t0 c0', '64@480-720 v70 t0 c0']);
    expect(song.ppq).toBe(480);
    expect(song.tempos).toEqual([{ ticks: 0, bpm: 100 }]);
    expect(song.timeSignatures).toEqual([{ ticks: 0, numerator: 3, denominator: 4 }]);
    expect(song.keySignatures).toEqual([{ ticks: 0, key: 'C', scale: 'minor' }]);
    expect(song.name).toBe('Etude');
    expect(song.tracks).toEqual([{ name: 'Etude', program: 0, channel: 0, isDrum: false }]);
  });

  it('keeps an empty first track in format 1, so note tracks are the file track indices', () => {
    const bytes = smfFile(1, 96, [
      track([ev.tempo(0, 120)]),
      track([]),
      track([ev.name(0, 'Right'), ev.program(0, 0, 1), ev.on(0, 0, 72, 80), ev.off(96, 0, 72)]),
    ]);
    const { song, report } = read(bytes);
    expect(report.trackCount).toBe(3);
    expect(song.tracks.map((t) => t.name)).toEqual(['', '', 'Right']);
    expect(song.tracks[2]!.program).toBe(1);
    expect(brief(song.notes)).toEqual(['72@0-96 v80 t2 c0']);
    expect(song.name).toBeUndefined();
  });

  it('refuses format 2 and SMPTE time division with a reason naming the file', () => {
    expect(() => read(smfFile(2, 480, [track([])]))).toThrow(/test\.mid is a format-2 MIDI file/);
    expect(() => read(smfFile(1, 0xe728, [track([])]))).toThrow(/test\.mid uses SMPTE time division/);
    expect(() => read(smfFile(2, 480, [track([])]))).toThrow(MidiParseError);
  });

  it('applies running status and reads note-on with velocity 0 as note-off', () => {
    const bytes = smfFile(0, 480, [
      track([
        ev.on(0, 3, 60, 100),
        ev.running(0, 64, 101),
        ev.running(120, 60, 0),
        ev.running(60, 64, 0),
        ev.off(0, 3, 99),
      ]),
    ]);
    const { song, report } = read(bytes);
    expect(brief(song.notes)).toEqual(['60@0-120 v100 t0 c3', '64@0-180 v101 t0 c3']);
    expect(report.strayNoteOffs).toBe(1);
  });

  it('ends a sounding note when its key is struck again, and ignores the extra note-off', () => {
    const bytes = smfFile(0, 480, [
      track([ev.on(0, 0, 60, 80), ev.on(50, 0, 60, 90), ev.off(50, 0, 60), ev.off(50, 0, 60)]),
    ]);
    const { song, report } = read(bytes);
    expect(brief(song.notes)).toEqual(['60@0-50 v80 t0 c0', '60@50-100 v90 t0 c0']);
    expect(report.retriggeredNotes).toBe(1);
    expect(report.strayNoteOffs).toBe(1);
  });

  it('keeps a re-struck note whatever the order of note-on and note-off at the same tick', () => {
    const onFirst = smfFile(0, 480, [
      track([ev.on(0, 0, 60, 80), ev.on(100, 0, 60, 90), ev.off(0, 0, 60), ev.off(100, 0, 60)]),
    ]);
    const offFirst = smfFile(0, 480, [
      track([ev.on(0, 0, 60, 80), ev.off(100, 0, 60), ev.on(0, 0, 60, 90), ev.off(100, 0, 60)]),
    ]);
    const expected = ['60@0-100 v80 t0 c0', '60@100-200 v90 t0 c0'];
    expect(brief(read(onFirst).song.notes)).toEqual(expected);
    expect(brief(read(offFirst).song.notes)).toEqual(expected);
    expect(read(onFirst).report.strayNoteOffs).toBe(0);
  });

  it('ends notes never turned off at the track end and counts them', () => {
    const bytes = smfFile(1, 480, [
      track([ev.on(0, 0, 60, 80), ev.on(0, 0, 48, 70), ev.off(100, 0, 48), ev.eot(380)], false),
      track([ev.on(0, 0, 67, 80), ev.on(200, 0, 69, 80)]),
    ]);
    const { song, report } = read(bytes);
    expect(brief(song.notes)).toEqual(['48@0-100 v70 t0 c0', '60@0-480 v80 t0 c0', '67@0-200 v80 t1 c0']);
    expect(report.unterminatedNotes).toBe(2);
    // 69 starts at its track's last event, so it has no length at all.
    expect(report.droppedZeroLengthNotes).toBe(1);
  });

  it('keeps a note released at the tick it was struck as the shortest note, one tick long', () => {
    const bytes = smfFile(0, 480, [
      track([ev.on(0, 0, 60, 80), ev.off(0, 0, 60), ev.on(10, 0, 62, 80), ev.off(10, 0, 62)]),
    ]);
    const { song, report } = read(bytes);
    expect(brief(song.notes)).toEqual(['60@0-1 v80 t0 c0', '62@10-20 v80 t0 c0']);
    expect(report.shortestNotes).toBe(1);
    expect(report.droppedZeroLengthNotes).toBe(0);
  });

  it('drops drum-channel notes by default and keeps them when asked', () => {
    const bytes = smfFile(1, 480, [
      track([ev.on(0, 0, 60, 80), ev.off(100, 0, 60)]),
      track([ev.on(0, 9, 36, 100), ev.off(10, 9, 36), ev.on(0, 9, 38, 100), ev.off(10, 9, 38)]),
    ]);
    const dropped = read(bytes);
    expect(brief(dropped.song.notes)).toEqual(['60@0-100 v80 t0 c0']);
    expect(dropped.report.droppedDrumNotes).toBe(2);
    expect(dropped.report.strayNoteOffs).toBe(0);
    expect(dropped.song.tracks[1]).toMatchObject({ channel: 9, isDrum: true });
    const kept = read(bytes, { dropDrums: false });
    expect(brief(kept.song.notes)).toEqual([
      '36@0-10 v100 t1 c9',
      '60@0-100 v80 t0 c0',
      '38@10-20 v100 t1 c9',
    ]);
    expect(kept.report.droppedDrumNotes).toBe(0);
  });

  it('gathers tempo changes from every track, later events winning at one tick', () => {
    const bytes = smfFile(1, 480, [
      track([ev.tempo(480, 96), ev.tempo(480, 60)]),
      track([ev.tempo(960, 75), ev.on(0, 0, 60, 80), ev.off(10, 0, 60)]),
    ]);
    const { song } = read(bytes);
    expect(song.tempos).toEqual([
      { ticks: 0, bpm: 120 },
      { ticks: 480, bpm: 96 },
      { ticks: 960, bpm: 75 },
    ]);
    expect(song.timeSignatures).toEqual([{ ticks: 0, numerator: 4, denominator: 4 }]);
    expect(song.keySignatures).toEqual([]);
  });

  it('skips sysex, pitch bend and other meta events while keeping time', () => {
    const bytes = smfFile(0, 480, [
      track([
        ev.sysex(10, [0x7e, 0x7f, 0x09, 0x01]),
        ev.meta(10, 0x01, [0x68, 0x69]),
        ev.meta(10, 0x7f, [1, 2, 3]),
        ev.bend(10, 0, 8192),
        ev.on(10, 0, 60, 80),
        ev.meta(10, 0x06, [0x41]),
        // Running status still applies after a meta event, as real files expect.
        ev.running(10, 60, 0),
        ev.meta(0, 0x51, [1, 2]),
      ]),
    ]);
    const { song, report } = read(bytes);
    expect(brief(song.notes)).toEqual(['60@50-70 v80 t0 c0']);
    expect(report.ignoredMetaEvents).toBe(1);
    expect(song.tempos).toEqual([{ ticks: 0, bpm: 120 }]);
  });

  it('keeps each note on its own channel when one track holds several', () => {
    const bytes = smfFile(0, 480, [
      track([
        ev.on(0, 0, 60, 80),
        ev.on(0, 1, 60, 81),
        ev.on(0, 1, 64, 82),
        ev.off(100, 1, 60),
        ev.off(100, 0, 60),
        ev.off(0, 1, 64),
      ]),
    ]);
    const { song, report } = read(bytes);
    expect(brief(song.notes)).toEqual(['60@0-100 v81 t0 c1', '60@0-200 v80 t0 c0', '64@0-200 v82 t0 c1']);
    expect(report.retriggeredNotes).toBe(0);
    expect(song.tracks[0]!.channel).toBe(1);
  });

  it('applies the sustain pedal by default, and keeps raw lengths with sustain: false', () => {
    const bytes = smfFile(0, 480, [
      track([
        ev.cc(0, 0, 64, 127),
        ev.on(0, 0, 60, 80),
        ev.off(100, 0, 60),
        ev.cc(100, 0, 64, 100),
        ev.cc(200, 0, 64, 0),
        ev.cc(10, 0, 64, 0),
      ]),
    ]);
    const raw = read(bytes);
    expect(brief(raw.song.notes)).toEqual(['60@0-100 v80 t0 c0']);
    // Repeated "down" and "up" values are one change each.
    expect(raw.song.pedals).toEqual([
      { ticks: 0, track: 0, channel: 0, down: true },
      { ticks: 400, track: 0, channel: 0, down: false },
    ]);
    const sustained = parseMidi(bytes, { path: 'test.mid' });
    expect(brief(sustained.song.notes)).toEqual(['60@0-400 v80 t0 c0']);
  });

  it('names key signatures by their tonic', () => {
    const keyOf = (sharps: number, minor: number) =>
      read(smfFile(0, 480, [track([ev.keySig(0, sharps, minor)])])).song.keySignatures[0];
    expect(keyOf(0, 0)).toEqual({ ticks: 0, key: 'C', scale: 'major' });
    expect(keyOf(0, 1)).toEqual({ ticks: 0, key: 'A', scale: 'minor' });
    expect(keyOf(-6, 0)).toEqual({ ticks: 0, key: 'Gb', scale: 'major' });
    expect(keyOf(4, 1)).toEqual({ ticks: 0, key: 'C#', scale: 'minor' });
    expect(keyOf(9, 0)).toBeUndefined();
  });

  it('reads a track without an end-of-track event up to its last event', () => {
    const bytes = smfFile(0, 480, [track([ev.on(0, 0, 60, 80), ev.cc(300, 0, 7, 100)], false)]);
    const { song, report } = read(bytes);
    expect(brief(song.notes)).toEqual(['60@0-300 v80 t0 c0']);
    expect(report.unterminatedNotes).toBe(1);
  });

  it('keeps track names, text events and copyright notices in file order, Latin-1 decoded where not UTF-8', () => {
    const latin1 = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
    const bytes = smfFile(1, 480, [
      track([ev.name(0, 'Etude'), ev.meta(0, 0x02, latin1('Copyright \u00a9 1999')), ev.meta(0, 0x01, latin1('Fr\u00e9d\u00e9ric Chopin')), ev.meta(0, 0x05, latin1('la'))]),
      track([ev.name(0, 'Piano right'), ev.on(0, 0, 60, 80), ev.off(480, 0, 60), ev.meta(0, 0x01, latin1('later'))]),
    ]);
    expect(read(bytes).texts).toEqual([
      { track: 0, ticks: 0, kind: 'trackName', text: 'Etude' },
      { track: 0, ticks: 0, kind: 'copyright', text: 'Copyright \u00a9 1999' },
      { track: 0, ticks: 0, kind: 'text', text: 'Fr\u00e9d\u00e9ric Chopin' },
      { track: 1, ticks: 0, kind: 'trackName', text: 'Piano right' },
      { track: 1, ticks: 480, kind: 'text', text: 'later' },
    ]);
  });

  it('keeps at most MAX_TEXTS texts, so a file of lyrics cannot grow the result without bound', () => {
    const many = Array.from({ length: MAX_TEXTS + 50 }, (_, i) => ev.meta(1, 0x01, [...`word ${i}`].map((c) => c.charCodeAt(0))));
    expect(read(smfFile(0, 480, [track(many)])).texts).toHaveLength(MAX_TEXTS);
  });
});

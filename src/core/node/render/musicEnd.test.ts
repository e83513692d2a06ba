import { describe, expect, it } from 'vitest';
import { parseMidi } from '../../common/midi/read';
import { emptySong } from '../../common/song/song';
import { encodeMidi } from '../midi/write';
import { musicEndSeconds } from './musicEnd';
import { fixtureSong } from './testFixtures';

describe('musicEndSeconds', () => {
  it('is the last note-off, or a later pedal release, through the tempo map', () => {
    const song = emptySong(480);
    song.tempos = [{ ticks: 0, bpm: 60 }];
    song.notes.push({ pitch: 60, velocity: 80, startTicks: 0, endTicks: 960, track: 0, channel: 0 });
    expect(musicEndSeconds(song)).toBe(2);
    song.pedals.push({ ticks: 480, track: 0, channel: 0, down: true }, { ticks: 1440, track: 0, channel: 0, down: false });
    expect(musicEndSeconds(song)).toBe(3);
  });

  it('ignores a pedal event that changes nothing, as the reader does, so a song and its MIDI bytes agree', () => {
    const song = fixtureSong();
    expect(song.pedals.some((p) => !p.down)).toBe(true);
    const back = parseMidi(encodeMidi(song), { sustain: false, dropDrums: false }).song;
    expect(musicEndSeconds(song)).toBe(2.5);
    expect(musicEndSeconds(back)).toBe(2.5);
  });
});

import { describe, expect, it } from 'vitest';
import { applySustain } from './sustain';
import { emptySong } from './song';

describe('applySustain', () => {
  it('holds notes released under the pedal until the pedal lifts, and cuts them at a re-strike', () => {
    const song = emptySong(480);
    song.notes = [
      { pitch: 60, velocity: 80, startTicks: 0, endTicks: 100, track: 0, channel: 0 },
      { pitch: 64, velocity: 80, startTicks: 0, endTicks: 100, track: 0, channel: 0 },
      { pitch: 60, velocity: 80, startTicks: 500, endTicks: 600, track: 0, channel: 0 },
      { pitch: 67, velocity: 80, startTicks: 1200, endTicks: 1300, track: 0, channel: 0 },
    ];
    song.pedals = [
      { ticks: 50, track: 0, channel: 0, down: true },
      { ticks: 1000, track: 0, channel: 0, down: false },
    ];
    const out = applySustain(song);
    const ends = out.notes.map((n) => [n.pitch, n.startTicks, n.endTicks]);
    expect(ends).toEqual([
      [60, 0, 500], // re-struck at 500 before the pedal lifts
      [64, 0, 1000],
      [60, 500, 1000],
      [67, 1200, 1300], // pedal is up: unchanged
    ]);
    expect(song.notes[0]!.endTicks).toBe(100); // input untouched
  });
});

describe('applySustain on many pedal changes', () => {
  it('matches a direct scan and handles pedal events at the same tick as releases', () => {
    const song = emptySong(96);
    for (let i = 0; i < 200; i++)
      song.notes.push({ pitch: 40 + (i % 30), velocity: 64, startTicks: i * 10, endTicks: i * 10 + 7, track: 0, channel: 0 });
    for (let i = 0; i < 100; i++) song.pedals.push({ ticks: i * 20 + (i % 2 ? 7 : 3), track: 0, channel: 0, down: i % 2 === 0 });
    const out = applySustain(song);
    // Reference: the pedal state after the last change at or before the release, then the next lift after it.
    const pedals = [...song.pedals].sort((a, b) => a.ticks - b.ticks);
    const expected = song.notes.map((n) => {
      const before = pedals.filter((p) => p.ticks <= n.endTicks);
      if (!before.length || !before[before.length - 1]!.down) return n.endTicks;
      const lift = pedals.find((p) => p.ticks > n.endTicks && !p.down);
      const again = song.notes.find((m) => m.pitch === n.pitch && m.startTicks > n.startTicks);
      let end = lift ? lift.ticks : Math.max(...song.notes.map((m) => m.endTicks), ...pedals.map((p) => p.ticks));
      if (again && again.startTicks < end) end = Math.max(n.endTicks, again.startTicks);
      return end;
    });
    expect(out.notes.map((n) => n.endTicks)).toEqual(expected);
  });
});

describe('applySustain idempotence', () => {
  it('changes nothing the second time, also with a pedal change (up and down) at one tick', () => {
    const song = emptySong(480);
    song.notes = [
      { pitch: 60, velocity: 80, startTicks: 0, endTicks: 100, track: 0, channel: 0 },
      { pitch: 64, velocity: 80, startTicks: 150, endTicks: 200, track: 0, channel: 0 },
      { pitch: 67, velocity: 80, startTicks: 300, endTicks: 500, track: 0, channel: 0 },
    ];
    song.pedals = [
      { ticks: 50, track: 0, channel: 0, down: true },
      { ticks: 500, track: 0, channel: 0, down: false },
      { ticks: 500, track: 0, channel: 0, down: true },
      { ticks: 900, track: 0, channel: 0, down: false },
    ];
    const once = applySustain(song);
    // 60 and 64 are held to the change at 500; 67, released exactly at the change, is damped there.
    expect(once.notes.map((n) => n.endTicks)).toEqual([500, 500, 500]);
    expect(applySustain(once).notes).toEqual(once.notes);
  });
});

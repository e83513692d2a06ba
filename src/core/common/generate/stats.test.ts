import { describe, expect, it } from 'vitest';
import { emptySong } from '../song/song';
import { pieceStats, sequenceStats } from './stats';

describe('sequenceStats', () => {
  it('counts events, distinct events, runs and the most frequent share', () => {
    const s = sequenceStats(['a', 'b', 'b', 'b', 'c', 'b', 'a', 'a']);
    expect(s).toMatchObject({ tokens: 8, events: 8, distinctEvents: 3, longestRepeatedRun: 3, mostFrequentEvent: 'b', mostFrequentShare: 0.5 });
  });

  it('shows a collapsed sequence as one event and no new phrases', () => {
    const s = sequenceStats(new Array<string>(100).fill('C4'));
    expect(s).toMatchObject({ distinctEvents: 1, longestRepeatedRun: 100, mostFrequentShare: 1 });
    expect(s.distinctPhraseShare).toBeCloseTo(1 / 97, 6);
  });

  it('leaves non-event tokens out, so a note repeated between time steps is a run', () => {
    const s = sequenceStats(['60:12', '+12', '60:12', '+12', '60:12', '+6', '64:6'], (t) => !t.startsWith('+'));
    expect(s).toMatchObject({ tokens: 7, events: 4, distinctEvents: 2, longestRepeatedRun: 3, mostFrequentEvent: '60:12', mostFrequentShare: 0.75 });
  });

  it('handles an empty sequence', () => {
    expect(sequenceStats([])).toEqual({
      tokens: 0,
      events: 0,
      distinctEvents: 0,
      longestRepeatedRun: 0,
      mostFrequentEvent: '',
      mostFrequentShare: 0,
      distinctPhraseShare: 0,
    });
  });
});

describe('pieceStats', () => {
  it('adds the pitch range and the duration through the tempo map', () => {
    const song = emptySong(480);
    song.tempos = [{ ticks: 0, bpm: 60 }];
    song.notes = [
      { pitch: 60, velocity: 80, startTicks: 0, endTicks: 480, track: 0, channel: 0 },
      { pitch: 48, velocity: 80, startTicks: 480, endTicks: 1440, track: 0, channel: 0 },
    ];
    expect(pieceStats(['x', 'y'], song)).toMatchObject({ notes: 2, lowestPitch: 48, highestPitch: 60, durationSeconds: 3 });
  });
});

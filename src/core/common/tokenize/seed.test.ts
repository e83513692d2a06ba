import { describe, expect, it } from 'vitest';
import { MidiParseError } from '../errors';
import { emptySong } from '../song/song';
import { seedEvents, seedTokenPitches, SeedTokenizer } from './seed';
import type { SeedScore } from './seedScore';
import { seedScoreOfMidi } from './seedScore';

const ppq = 480;
/** A score from [pitch, startQuarters, lengthQuarters] per track, in file order. */
function score(
  tracks: [number, number, number][][],
  timeSignatures = [{ ticks: 0, numerator: 4, denominator: 4 }],
): SeedScore {
  return {
    ppq,
    timeSignatures,
    tracks: tracks.map((notes) => ({
      program: 0,
      notes: notes.map(([pitch, start, length]) => ({
        pitch,
        startTicks: Math.round(start * ppq),
        endTicks: Math.round((start + length) * ppq),
        channel: 0,
      })),
    })),
  };
}
const tokens = (s: SeedScore): string[] => seedEvents(s).map((e) => e.token);

describe('seed rules', () => {
  it('names notes and chords as music21 does', () => {
    expect(
      tokens(
        score([
          [
            [63, 0, 1],
            [66, 1, 1],
            [64, 2, 1],
            [67, 2, 1],
            [71, 2, 1],
            [62, 3, 1],
            [74, 3, 1],
          ],
        ]),
      ),
    ).toEqual(['E-4', 'F#4', '4.7.11', '2']);
  });

  it('chords notes of one track starting less than 1/4 quarter apart with releases within 1/4 quarter', () => {
    // 86 at 4.25 and 88 at 4.375 (1/8 apart) form a chord; 60 ends much later, so stays apart.
    expect(
      tokens(
        score([
          [
            [86, 0.25, 0.125],
            [88, 0.375, 0.125],
            [60, 0.25, 2],
          ],
        ]),
      ),
    ).toEqual(['2.4', 'C4']);
  });

  it('keeps notes of different tracks at one offset apart, first track first', () => {
    expect(tokens(score([[[81, 0.5, 0.5]], [[57, 0.5, 0.5]]]))).toEqual(['A5', 'A3']);
  });

  it('quantizes onsets to the nearer of 1/4 and 1/3, rounding exact halves down', () => {
    const ev = seedEvents(
      score([
        [
          [60, 0.3, 1],
          [62, 1.125, 1],
          [64, 2.9, 0.1],
        ],
      ]),
    );
    expect(ev.map((e) => e.offsetQuarters)).toEqual([1 / 3, 1, 3]);
    // A note's duration never quantizes to zero.
    expect(ev[2]!.durationQuarters).toBe(0.25);
  });

  it('quantizes a duration so that it fills the gap to the next onset on a grid that divides it', () => {
    // 0.3 alone goes to 1/3 (the smaller error); followed by a note 0.5 later it goes to 1/4, as the
    // 1/4 grid divides that gap and 1/3 would leave 1/6 unfilled (music21 v7's look-ahead).
    const ev = seedEvents(
      score([
        [
          [60, 0, 0.3],
          [62, 0.5, 0.5],
          [64, 1, 0.3],
        ],
      ]),
    );
    expect(ev.map((e) => e.durationQuarters)).toEqual([0.25, 0.5, 1 / 3]);
  });

  it('splits a note at each barline it crosses, and sorts a continuation after the bar’s own notes', () => {
    // 3/4: bars at 3 and 6. The left-hand E4 from 1 to 7 gives pieces at 1, 3 and 6.
    const s = score(
      [
        [[76, 3, 1]],
        [
          [64, 1, 6],
          [60, 3, 1],
        ],
      ],
      [{ ticks: 0, numerator: 3, denominator: 4 }],
    );
    expect(seedEvents(s).map((e) => [e.token, e.offsetQuarters, e.track])).toEqual([
      ['E4', 1, 1],
      ['E5', 3, 0],
      ['C4', 3, 1],
      ['E4', 3, 1],
      ['E4', 6, 1],
    ]);
  });

  describe('measures with voices (a track where same-onset notes end differently)', () => {
    const twoFour = [{ ticks: 0, numerator: 2, denominator: 4 }];
    const right: [number, number, number][] = [0, 1, 2, 3, 4, 5].map((q) => [72, q, 1]);
    // Left hand: a dotted half from 0 (with a 16th D4 starting with it, so the track needs voices),
    // then a bar whose own notes overlap (C4 from 3 under a D4 at 3.25), so it has voices too.
    const left = (held: [number, number, number][]): [number, number, number][] => [
      ...held,
      [62, 0, 0.25],
      [62, 1.25, 0.25],
      [62, 2.25, 0.25],
      [60, 3, 1],
      [62, 3.25, 0.25],
    ];
    const placed = (s: SeedScore): [string, number, number][] =>
      seedEvents(s).map((e) => [e.token, e.offsetQuarters, e.track]);

    it('a chord split in a voiced bar keeps its full length, so the hand’s later bars start late', () => {
      // music21 lays bars end to end by their highestTime; the voice's cached end (3) makes the
      // first bar 3 quarters long, so everything after it in that hand moves by a quarter.
      const s = score(
        [
          right,
          left([
            [46, 0, 3],
            [58, 0, 3],
          ]),
        ],
        twoFour,
      );
      expect(placed(s)).toEqual([
        ['C5', 0, 0],
        ['10', 0, 1],
        ['D4', 0, 1],
        ['C5', 1, 0],
        ['D4', 1.25, 1],
        ['C5', 2, 0],
        ['C5', 3, 0],
        ['10', 3, 1],
        ['D4', 3.25, 1],
        ['C5', 4, 0],
        ['C4', 4, 1],
        ['D4', 4.25, 1],
        ['C5', 5, 0],
      ]);
    });

    it('a single note split the same way does not move later bars', () => {
      const s = score([right, left([[46, 0, 3]])], twoFour);
      expect(placed(s).filter((e) => e[2] === 1)).toEqual([
        ['B-2', 0, 1],
        ['D4', 0, 1],
        ['D4', 1.25, 1],
        ['B-2', 2, 1],
        ['D4', 2.25, 1],
        ['C4', 3, 1],
        ['D4', 3.25, 1],
      ]);
    });

    it('a continuation from one voiced bar into another is not split again', () => {
      // B-2 lasts 5 quarters: pieces at 0 (2 long) and 2 (3 long), none at 4.
      const ev = seedEvents(score([left([[46, 0, 5]])], twoFour));
      expect(ev.filter((e) => e.token === 'B-2').map((e) => [e.offsetQuarters, e.durationQuarters])).toEqual([
        [0, 2],
        [2, 3],
      ]);
    });

    it('a loose continuation into a voiced bar caches every voice, so a chord split in any of them moves later bars', () => {
      // Bar 2 (2/4, from 2) has voices [G4] and [C4+E4 chord]; the chord is in the second voice,
      // which only the loose B-2 continuation (makeTies asking the measure's highestTime) caches.
      const notes = (held: number): [number, number, number][] => [
        [46, 0, held],
        [62, 0, 0.25],
        [67, 2, 0.5],
        [60, 2, 2.5],
        [64, 2, 2.5],
        [72, 4.5, 0.5],
      ];
      const placed = (s: SeedScore): [string, number][] =>
        seedEvents(s).map((e) => [e.token, e.offsetQuarters]);
      expect(placed(score([notes(3)], twoFour)).slice(-2)).toEqual([
        ['0.4', 4.5],
        ['C5', 5],
      ]);
      // Without the continuation (B-2 ends at the barline) nothing asks that voice: no shift.
      expect(placed(score([notes(2)], twoFour)).slice(-2)).toEqual([
        ['0.4', 4],
        ['C5', 4.5],
      ]);
    });

    it('a voiced bar is read voice by voice: a continuation put into the first voice comes before the second voice', () => {
      // Bar 2 has voices (C#6 and G#5 start together and end apart); the chord from bar 1 goes
      // into its first voice, after C#6 and before G#5 (checked against music21 9.3).
      const s = score([
        [
          [60, 0, 1],
          [61, 3.5, 0.75],
          [68, 3.5, 0.75],
          [85, 4, 1.75],
          [80, 4, 0.75],
          [80, 5, 0.75],
        ],
      ]);
      expect(seedEvents(s).map((e) => [e.token, e.offsetQuarters])).toEqual([
        ['C4', 0],
        ['8.1', 3.5],
        ['C#6', 4],
        ['8.1', 4],
        ['G#5', 4],
        ['G#5', 5],
      ]);
    });

    it('a grace note inside a held chord is an overlap too, so the bar gets voices', () => {
      // music21's getOverlaps counts a zero-length note that starts inside a sounding one; the
      // chord's voice end is then cached and the split chord makes the bar 6 quarters long.
      const held: [number, number, number][] = [
        [48, 0, 6],
        [52, 0, 6],
        [62, 6, 1],
        [64, 6, 0.5],
        [65, 8, 1],
      ];
      const events = (s: SeedScore): [string, number][] =>
        seedEvents(s).map((e) => [e.token, e.offsetQuarters]);
      expect(events(score([[...held, [70, 1, 0]]]))).toEqual([
        ['0.4', 0],
        ['B-4', 1],
        ['0.4', 6],
        ['D4', 8],
        ['E4', 8],
        ['F4', 10],
      ]);
      expect(events(score([held]))).toEqual([
        ['0.4', 0],
        ['0.4', 4],
        ['D4', 6],
        ['E4', 6],
        ['F4', 8],
      ]);
    });

    it('a voice filled in thirds is left unsorted, so its split chord does not move later bars', () => {
      // Stream.insert compares the float of 2/3 (below 2/3) with the voice's exact end; the
      // unsorted voice is sorted when makeTies starts, which clears its cached end. In halves the
      // voice stays sorted, keeps its end and the bar lasts half a quarter longer (music21 9.3).
      const chain = (step: number): [number, number, number][] => {
        const notes: [number, number, number][] = [];
        let t = 0;
        for (let k = 0; t + step <= 3 - 1e-9; k++, t += step)
          notes.push([60 + k, t, step], [64 + k, t, step]);
        // In file order: the held C3 starts with the first chord.
        return [...notes.slice(0, 2), [48, 0, 3], ...notes.slice(2), [67, t, 1], [71, t, 1], [50, 4, 1]];
      };
      const threeFour = [{ ticks: 0, numerator: 3, denominator: 4 }];
      const placed = (step: number): [string, number][] =>
        seedEvents(score([chain(step)], threeFour))
          .filter((e) => e.token === '7.11' || e.token === 'D3')
          .map((e) => [e.token, e.offsetQuarters]);
      expect(placed(2 / 3)).toEqual([
        ['7.11', 8 / 3],
        ['7.11', 3],
        ['D3', 4],
      ]);
      expect(placed(0.5)).toEqual([
        ['7.11', 2.5],
        ['7.11', 3.5],
        ['D3', 4.5],
      ]);
    });

    it('a grace note goes first into the voices at its offset, so it finds a free voice', () => {
      const s = score([
        [
          [72, 0, 0.5],
          [82, 0, 1],
          [68, 10 / ppq, 0],
          [60, 1, 1],
        ],
      ]);
      expect(tokens(s)).toEqual(['G#4', 'C5', 'B-5', 'C4']);
    });

    it('continuations leave a voiced bar voice by voice', () => {
      // Bar 0 voices: [A3, C4] and [A4]; C4 (voice 1) continues before A4 (voice 2) into bar 4,
      // which has voices of its own (E-4 under F#4), so both continuations follow its own notes.
      const s = score([
        [
          [57, 0, 1],
          [69, 0, 6],
          [60, 1, 7],
          [63, 4, 4],
          [66, 5, 3],
        ],
      ]);
      expect(seedEvents(s).map((e) => [e.token, e.offsetQuarters])).toEqual([
        ['A3', 0],
        ['A4', 0],
        ['C4', 1],
        ['E-4', 4],
        ['C4', 4],
        ['A4', 4],
        ['F#4', 5],
      ]);
    });
  });

  describe('a track whose last event without duration falls on a barline (every bar’s end cached)', () => {
    const twoFour = [{ ticks: 0, numerator: 2, denominator: 4 }];
    const right: [number, number, number][] = [0, 1, 2, 3, 4, 5].map((q) => [72, q, 1]);
    // Left hand: a 3-quarter chord alone in the first 2/4 bar, then quarters up to the end (6).
    const left: [number, number, number][] = [
      [48, 0, 3],
      [52, 0, 3],
      [60, 3, 1],
      [62, 4, 2],
    ];
    const placed = (s: SeedScore): [string, number, number][] =>
      seedEvents(s)
        .filter((e) => e.track === 1)
        .map((e) => [e.token, e.offsetQuarters, e.durationQuarters]);
    const withMetaAt = (quarters: number): SeedScore => {
      const s = score([right, left], twoFour);
      s.tracks[1]!.metaTicks = [0, quarters * ppq];
      return s;
    };

    it('a chord split in a bar filled in order keeps its full length, so the hand runs late', () => {
      // makeMeasures stores the meta object at 6 "at end", which caches every bar's highestTime;
      // splitting a chord does not clear it, so the first bar lasts 3 quarters.
      expect(placed(withMetaAt(6))).toEqual([
        ['0.4', 0, 2],
        ['0.4', 3, 1],
        ['C4', 4, 1],
        ['D4', 5, 2],
      ]);
    });

    it('nothing moves when the last event lies inside a bar', () => {
      expect(placed(withMetaAt(5.5))).toEqual([
        ['0.4', 0, 2],
        ['0.4', 2, 1],
        ['C4', 3, 1],
        ['D4', 4, 2],
      ]);
    });

    it('nothing moves when a rest fills a gap in the bar (it clears the cache)', () => {
      const s = withMetaAt(6);
      // The chord starts a quarter into the bar: makeRests puts a rest before it.
      s.tracks[1]!.notes = s.tracks[1]!.notes.map((n, k) =>
        k < 2 ? { ...n, startTicks: ppq, endTicks: 3 * ppq } : n,
      );
      expect(placed(s)).toEqual([
        ['0.4', 1, 1],
        ['0.4', 2, 1],
        ['C4', 3, 1],
        ['D4', 4, 2],
      ]);
    });
  });

  // Each case checked against music21 9.3 on a MIDI file with these events.
  describe('parts: partitionByInstrument merges tracks by instrument name', () => {
    const name = (ticks: number, text: string, kind: 'trackName' | 'instrumentName' = 'trackName') => ({
      ticks,
      kind,
      text: new TextEncoder().encode(text),
    });
    const program = (ticks: number, value: number) => ({
      ticks,
      kind: 'program' as const,
      program: value,
      channel: 0,
    });
    const twoHands = (): SeedScore =>
      score([
        [
          [72, 1, 1],
          [74, 2, 1],
        ],
        [
          [48, 0, 1],
          [50, 2, 1],
        ],
      ]);

    it('keeps instruments of other names as later parts, in order of first appearance', () => {
      const s = twoHands();
      s.tracks[0]!.program = 40;
      expect(tokens(s)).toEqual(['C5', 'D5', 'C3', 'D3']);
    });

    it('merges programs 0 and 1, both a Piano named "Piano"', () => {
      const s = twoHands();
      s.tracks[0]!.instruments = [program(0, 1)];
      s.tracks[1]!.instruments = [program(0, 0)];
      expect(tokens(s)).toEqual(['C3', 'C5', 'D5', 'D3']);
    });

    it('a track name that names an instrument before the program change leaves that name an empty span', () => {
      // "Piano right" (a Piano named so) and the program's "Piano" at one tick: two instrument
      // names, so deduplicate keeps both; the first spans nothing, the second takes the notes.
      const s = twoHands();
      s.tracks[0]!.instruments = [name(0, 'Piano right'), program(0, 0)];
      s.tracks[1]!.instruments = [name(0, 'Piano left'), program(0, 0)];
      expect(tokens(s)).toEqual(['C3', 'C5', 'D5', 'D3']);
    });

    it('a program change before the track name sends that track to the name’s part', () => {
      // Parts in order of first appearance: "Piano" (the first track's program), "Piano right"
      // (which takes that track's notes), "Piano left" (empty); the second track's notes go to "Piano".
      const s = twoHands();
      s.tracks[0]!.instruments = [program(0, 0), name(0, 'Piano right')];
      s.tracks[1]!.instruments = [name(0, 'Piano left'), program(0, 0)];
      expect(tokens(s)).toEqual(['C3', 'D3', 'C5', 'D5']);
    });

    it('a name that is no instrument is dropped beside a program change (deduplicate)', () => {
      const s = twoHands();
      s.tracks[0]!.instruments = [name(0, 'Rechte Hand'), program(0, 0)];
      s.tracks[1]!.instruments = [program(0, 0), name(0, 'Linke Hand')];
      expect(tokens(s)).toEqual(['C3', 'C5', 'D5', 'D3']);
    });

    it('deduplicate takes all of a track’s instruments as one group, whatever their offsets', () => {
      // The generic "Allegro" at 0 is dropped for the Violin at 2: the notes before 2 are in no part.
      const s = twoHands();
      s.tracks[0]!.instruments = [name(0, 'Allegro'), program(2 * ppq, 40)];
      s.tracks[1]!.instruments = [program(0, 0)];
      expect(tokens(s)).toEqual(['D5', 'C3', 'D3']);
    });

    it('a track whose only name is no instrument is a part of its own, named ""', () => {
      const s = twoHands();
      s.tracks[0]!.instruments = [name(0, 'Allegro'), program(0, 0)];
      s.tracks[1]!.instruments = [name(0, 'Moderato')];
      expect(tokens(s)).toEqual(['C5', 'D5', 'C3', 'D3']);
    });

    it('an instrument change mid-track sends the rest of the track to another part', () => {
      const s = twoHands();
      s.tracks[0]!.instruments = [program(0, 0), program(2 * ppq, 40)];
      s.tracks[1]!.instruments = [program(0, 0)];
      expect(tokens(s)).toEqual(['C3', 'C5', 'D3', 'D5']);
    });

    it('leaves out notes of a track without instruments, unless no track has one', () => {
      const s = twoHands();
      s.tracks[1]!.instruments = [];
      expect(tokens(s)).toEqual(['C5', 'D5']);
      s.tracks[0]!.instruments = [];
      expect(tokens(s)).toEqual(['C5', 'D5', 'C3', 'D3']);
    });
  });
});

describe('seedScoreOfMidi', () => {
  // Format 1, ppq 96, one track: time signature 3/4, program 5, C4 on, (running status) E4 on,
  // after 96 ticks C4 off as note-on velocity 0 and E4 off as 0x80.
  const bytes = Uint8Array.from([
    ...[0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0, 1, 0, 96],
    ...[0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 29],
    ...[0, 0xff, 0x58, 4, 3, 2, 24, 8],
    ...[0, 0xc0, 5],
    ...[0, 0x90, 60, 100],
    ...[0, 64, 90],
    ...[96, 60, 0],
    ...[0, 0x80, 64, 0],
    ...[0, 0xff, 0x2f, 0],
  ]);

  it('reads notes in file order, the program and time signatures', () => {
    const s = seedScoreOfMidi(bytes);
    expect(s.ppq).toBe(96);
    expect(s.timeSignatures).toEqual([{ ticks: 0, numerator: 3, denominator: 4 }]);
    expect(s.tracks).toEqual([
      {
        program: 5,
        notes: [
          { pitch: 60, startTicks: 0, endTicks: 96, channel: 0 },
          { pitch: 64, startTicks: 0, endTicks: 96, channel: 0 },
        ],
        // The time signature and the program change become objects of the track's music21 stream.
        metaTicks: [0, 0],
        conductorTicks: [0],
        instruments: [{ ticks: 0, kind: 'program', program: 5, channel: 0 }],
      },
    ]);
    expect(new SeedTokenizer().encodeMidi(bytes)).toEqual(['0.4']);
  });

  it('throws MidiParseError naming the file for bytes that are not MIDI', () => {
    expect(() => seedScoreOfMidi(new Uint8Array(20), 'x.mid')).toThrow(MidiParseError);
    expect(() => seedScoreOfMidi(new Uint8Array(20), 'x.mid')).toThrow(/x\.mid is not a readable MIDI file/);
  });
});

describe('SeedTokenizer', () => {
  it('encodes a Song with the same rules', () => {
    const s = emptySong(ppq);
    s.notes = [
      { pitch: 60, velocity: 80, startTicks: 0, endTicks: 480, track: 0, channel: 0 },
      { pitch: 64, velocity: 80, startTicks: 0, endTicks: 480, track: 0, channel: 0 },
      { pitch: 70, velocity: 80, startTicks: 480, endTicks: 960, track: 0, channel: 0 },
    ];
    expect(new SeedTokenizer().encode(s)).toEqual(['0.4', 'B-4']);
  });

  it('decodes one event per quarter, chords stacked from middle C', () => {
    const out = new SeedTokenizer().decode(['E-4', '4.7.11', 'nonsense', '11.2'], { bpm: 100 });
    expect(out.tempos[0]!.bpm).toBe(100);
    expect(out.notes.map((n) => [n.pitch, n.startTicks / out.ppq])).toEqual([
      [63, 0],
      [64, 1],
      [67, 1],
      [71, 1],
      [71, 2],
      [74, 2],
    ]);
    expect(seedTokenPitches('12.1')).toEqual([]);
  });
});

/**
 * MIDI fixtures for the end-to-end test, made from a Song so they are small, deterministic and
 * need no binary files in the repository: a short chorale-like piece and an arpeggio study.
 */
import type { Note, Song } from '../../src/core/common/song/song';
import { emptySong } from '../../src/core/common/song/song';
import { encodeMidi } from '../../src/core/node/midi/write';

const PPQ = 480;

function note(pitch: number, startBeats: number, lengthBeats: number, velocity: number): Note {
  return { pitch, velocity, startTicks: Math.round(startBeats * PPQ), endTicks: Math.round((startBeats + lengthBeats) * PPQ), track: 0, channel: 0 };
}

/** Four bars of I–vi–IV–V in C, melody over block chords. */
export function choraleSong(): Song {
  const chords = [
    [48, 55, 64],
    [45, 52, 60],
    [41, 53, 60],
    [43, 50, 59],
  ];
  const melody = [72, 74, 76, 74, 72, 71, 69, 71, 72, 69, 72, 77, 76, 74, 74, 71];
  const notes: Note[] = [];
  chords.forEach((chord, bar) => chord.forEach((p, i) => notes.push(note(p, bar * 4, 4, 58 + i * 6))));
  melody.forEach((p, i) => notes.push(note(p, i, 0.95, 70 + ((i * 13) % 40))));
  const song = emptySong(PPQ);
  song.tempos = [{ ticks: 0, bpm: 96 }];
  song.notes = notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
  song.name = 'Chorale in C';
  return song;
}

/** Eight bars of broken-chord sixteenths in A minor, rising and falling in loudness. */
export function arpeggioSong(): Song {
  const shapes = [
    [57, 60, 64, 69],
    [53, 57, 60, 65],
    [55, 59, 62, 67],
    [52, 56, 59, 64],
  ];
  const notes: Note[] = [];
  for (let bar = 0; bar < 8; bar++) {
    const shape = shapes[bar % 4]!;
    notes.push(note(shape[0]! - 12, bar * 4, 4, 64));
    for (let i = 0; i < 16; i++) {
      const up = i < 8 ? i : 15 - i;
      const pitch = shape[up % 4]! + 12 * Math.floor(up / 4);
      notes.push(note(pitch, bar * 4 + i * 0.25, 0.3, 40 + Math.round(60 * Math.sin((Math.PI * (bar * 16 + i)) / 128))));
    }
  }
  const song = emptySong(PPQ);
  song.tempos = [{ ticks: 0, bpm: 84 }];
  song.notes = notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
  song.name = 'Arpeggio study in A minor';
  return song;
}

/** The fixture files a user might drop: two good MIDI files, one broken MIDI file and a text file. */
export function dropFixtures(): Array<{ name: string; bytes: Uint8Array; type: string }> {
  return [
    { name: 'chorale-in-c.mid', bytes: encodeMidi(choraleSong()), type: 'audio/midi' },
    { name: 'arpeggio-study.mid', bytes: encodeMidi(arpeggioSong()), type: 'audio/midi' },
    // A header that promises more than it has: the importer must skip it with a reason.
    { name: 'broken.mid', bytes: new Uint8Array([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0, 9]), type: 'audio/midi' },
    { name: 'liner-notes.txt', bytes: new TextEncoder().encode('Not music.'), type: 'text/plain' },
  ];
}

/** A dense song of `count` notes (random walk over the piano, 16th notes in four voices), for drawing speed. */
export function denseSong(count: number): Song {
  const notes: Note[] = [];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const voices = [40, 55, 67, 79];
  for (let i = 0; i < count; i++) {
    const v = i % 4;
    voices[v] = Math.max(21, Math.min(108, voices[v]! + Math.round((rand() - 0.5) * 6)));
    const step = Math.floor(i / 4);
    notes.push(note(voices[v]!, step * 0.25, 0.25 + rand() * 0.75, 30 + Math.floor(rand() * 90)));
  }
  const song = emptySong(PPQ);
  song.tempos = [{ ticks: 0, bpm: 140 }];
  song.notes = notes.sort((a, b) => a.startTicks - b.startTicks || a.pitch - b.pitch);
  return song;
}

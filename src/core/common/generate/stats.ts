/**
 * Repetition and novelty statistics of a generated piece, written to its sidecar. They make a
 * collapse (the original tool's argmax decoding repeated one note) visible as numbers.
 */
import type { Song } from '../song/song';
import { durationSeconds } from '../song/tempo';

/** Statistics of a token sequence alone, over its musical events (time-step tokens aside). */
export interface SequenceStats {
  /** Number of tokens, time steps included. */
  tokens: number;
  /** Number of musical events (notes or chords). */
  events: number;
  /** Number of different events. */
  distinctEvents: number;
  /** Longest run of one event repeated back to back. */
  longestRepeatedRun: number;
  /** The most frequent event ('' for an empty sequence). */
  mostFrequentEvent: string;
  /** Its share of all events, 0..1. */
  mostFrequentShare: number;
  /** Distinct 4-event phrases / all 4-event phrases, 0..1: low when the piece loops. */
  distinctPhraseShare: number;
}

/** Statistics of a generated piece: its tokens and the song they decode to. */
export interface PieceStats extends SequenceStats {
  /** Notes in the written song. */
  notes: number;
  /** Lowest MIDI pitch (0 when there are no notes). */
  lowestPitch: number;
  /** Highest MIDI pitch (0 when there are no notes). */
  highestPitch: number;
  /** Length of the written song in seconds (to the last release). */
  durationSeconds: number;
}

/**
 * Repetition statistics of `tokens`. `isEvent` tells musical events from other tokens (the notes
 * tokenizer's time steps), which are left out, so a note repeated with steps between is a run.
 */
export function sequenceStats(all: readonly string[], isEvent: (token: string) => boolean = () => true): SequenceStats {
  const tokens = all.filter((t) => isEvent(t));
  const counts = new Map<string, number>();
  let longest = 0;
  let run = 0;
  tokens.forEach((t, i) => {
    counts.set(t, (counts.get(t) ?? 0) + 1);
    run = i > 0 && tokens[i - 1] === t ? run + 1 : 1;
    longest = Math.max(longest, run);
  });
  let mostFrequentEvent = '';
  let top = 0;
  for (const [t, c] of counts) if (c > top) [mostFrequentEvent, top] = [t, c];
  const phrases = new Set<string>();
  const phraseCount = Math.max(0, tokens.length - 3);
  // \u0000 cannot occur inside a token string, so joined phrases never collide.
  for (let i = 0; i < phraseCount; i++) phrases.add(tokens.slice(i, i + 4).join('\u0000'));
  return {
    tokens: all.length,
    events: tokens.length,
    distinctEvents: counts.size,
    longestRepeatedRun: longest,
    mostFrequentEvent,
    mostFrequentShare: tokens.length ? top / tokens.length : 0,
    distinctPhraseShare: phraseCount ? phrases.size / phraseCount : 0,
  };
}

/** Statistics of a generated piece from its tokens and its decoded song (see `sequenceStats` for `isEvent`). */
export function pieceStats(tokens: readonly string[], song: Song, isEvent?: (token: string) => boolean): PieceStats {
  let low = Infinity;
  let high = -Infinity;
  for (const n of song.notes) {
    low = Math.min(low, n.pitch);
    high = Math.max(high, n.pitch);
  }
  return {
    ...sequenceStats(tokens, isEvent),
    notes: song.notes.length,
    lowestPitch: song.notes.length ? low : 0,
    highestPitch: song.notes.length ? high : 0,
    durationSeconds: Math.round(durationSeconds(song) * 1000) / 1000,
  };
}

/**
 * The rule-shaped part of refinement: what a pianist does at phrase scale, which the transformer
 * (128 events of context, ~5 s) cannot learn and its tokens cannot carry. All of it scales with
 * `expression` (0 = none, 1 = the most):
 *  - phrase dynamics: a target loudness per moment, an arch over each phrase, raised where the
 *    phrase sits high or plays dense, falling into its cadence and into the close;
 *  - a tempo curve: a MIDI tempo map with a rubato arch per phrase, a ritardando over each
 *    phrase's last beats and a larger one over the last bar; ticks never move, so bars and metre
 *    stay where they were;
 *  - voicing: the top note of each chord over the others;
 *  - sustain pedal: changed at each new bass note (legato pedalling), lifted over rests.
 * Phrases are four bars of the first time signature. Pure: songs in, songs out.
 */
import type { Note, PedalEvent, Song, TempoEvent } from '../song/song';
import { tempoMapOf } from '../song/tempo';
import type { Seconds, Ticks, Velocity } from '../units';

/** Bars per phrase. */
export const PHRASE_BARS = 4;

/** A song's phrase grid: bar and phrase lengths in ticks. */
export interface PhraseGrid {
  /** Ticks per beat (the time signature's beat, not always a quarter). */
  beatTicks: Ticks;
  /** Ticks per bar. */
  barTicks: Ticks;
  /** Ticks per phrase. */
  phraseTicks: Ticks;
  /** Tick after the last note release. */
  endTicks: Ticks;
}

/** The phrase grid of `song`, from its first time signature. */
export function phraseGrid(song: Song): PhraseGrid {
  const ts = song.timeSignatures[0] ?? { numerator: 4, denominator: 4 };
  const beatTicks = Math.max(1, Math.round((song.ppq * 4) / ts.denominator));
  const barTicks = beatTicks * ts.numerator;
  let endTicks = 0;
  for (const n of song.notes) endTicks = Math.max(endTicks, n.endTicks);
  return { beatTicks, barTicks, phraseTicks: barTicks * PHRASE_BARS, endTicks };
}

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));

/**
 * The target velocity at each note of `song` (same order as `song.notes`): `base` shaped by the
 * phrase arch, the phrase's register and density against the piece's, its cadence and the close.
 */
export function phraseLevels(song: Song, base: Velocity, expression: number): number[] {
  const e = clamp(expression, 0, 1);
  const grid = phraseGrid(song);
  const phrases = Math.max(1, Math.ceil(grid.endTicks / grid.phraseTicks));
  const pitch = new Array<number>(phrases).fill(0);
  const count = new Array<number>(phrases).fill(0);
  for (const n of song.notes) {
    const p = Math.min(phrases - 1, Math.floor(n.startTicks / grid.phraseTicks));
    pitch[p]! += n.pitch;
    count[p]!++;
  }
  const meanPitch = song.notes.reduce((s, n) => s + n.pitch, 0) / Math.max(1, song.notes.length);
  const meanCount = song.notes.length / phrases;
  const lastPhrase = Math.floor(Math.max(0, grid.endTicks - 1) / grid.phraseTicks);
  return song.notes.map((n) => {
    const p = Math.min(phrases - 1, Math.floor(n.startTicks / grid.phraseTicks));
    const phase = (n.startTicks - p * grid.phraseTicks) / grid.phraseTicks;
    // Peak at 60% of the phrase, then fall into the cadence (the last bar is the quietest part).
    const arch = phase < 0.6 ? Math.sin((Math.PI / 2) * (phase / 0.6)) : Math.cos((Math.PI / 2) * ((phase - 0.6) / 0.4));
    const register = clamp((pitch[p]! / Math.max(1, count[p]!) - meanPitch) / 12, -1, 1);
    const density = clamp(Math.log2(Math.max(1, count[p]!) / Math.max(1, meanCount)), -1, 1);
    let shape = 0.22 * (arch - 0.5) + 0.1 * register + 0.1 * density;
    // The close: the last phrase dies away over its second half.
    if (p === lastPhrase && phase > 0.5) shape -= 0.2 * ((phase - 0.5) / 0.5);
    return base * (1 + e * shape);
  });
}

/** Onsets closer than this are one chord, in ticks at ppq 480 (about 20 ms at 120 BPM). */
const CHORD_TICKS_AT_480 = 20;

/**
 * Voicing: in each chord (onsets within ~20 ms), the top note sounds `lift` above the loudest of
 * the others (lift grows with expression, 0 leaves the chord as it is); the accompaniment is
 * lowered where the top note would pass 127.
 */
export function voiceChords(notes: readonly Note[], ppq: number, expression: number): Note[] {
  const e = clamp(expression, 0, 1);
  const lift = Math.round(12 * e);
  const out = notes.map((n) => ({ ...n }));
  if (lift === 0) return out;
  const window = Math.round((CHORD_TICKS_AT_480 * ppq) / 480);
  const order = out.map((_, i) => i).sort((a, b) => out[a]!.startTicks - out[b]!.startTicks);
  for (let i = 0; i < order.length; ) {
    let j = i + 1;
    while (j < order.length && out[order[j]!]!.startTicks - out[order[i]!]!.startTicks <= window) j++;
    if (j - i >= 2) {
      const chord = order.slice(i, j).map((k) => out[k]!);
      const top = chord.reduce((a, b) => (b.pitch > a.pitch ? b : a));
      const others = chord.filter((n) => n !== top);
      const loudest = Math.max(...others.map((n) => n.velocity));
      const wanted = Math.max(top.velocity, loudest + lift);
      const over = Math.max(0, wanted - 127);
      top.velocity = Math.min(127, wanted);
      for (const n of others) n.velocity = Math.max(1, n.velocity - over);
    }
    i = j;
  }
  return out;
}

/**
 * The tempo factor (1 = as written) over beat `beat` of `grid`: a rubato arch over each phrase
 * (a little faster into its middle), a ritardando over its last two beats and a deeper one over
 * the last bar of the piece. Bounded to 0.6..1.2 at any expression.
 */
export function tempoFactor(beat: number, grid: PhraseGrid, expression: number): number {
  const e = clamp(expression, 0, 1);
  const beatsPerPhrase = grid.phraseTicks / grid.beatTicks;
  const beatsPerBar = grid.barTicks / grid.beatTicks;
  const totalBeats = Math.ceil(grid.endTicks / grid.beatTicks);
  const phase = (beat % beatsPerPhrase) / beatsPerPhrase;
  let f = 1 + 0.12 * e * (Math.sin(Math.PI * phase) - 0.5);
  const toPhraseEnd = beatsPerPhrase - 1 - (beat % beatsPerPhrase);
  if (toPhraseEnd < 2) f *= 1 - 0.16 * e * ((2 - toPhraseEnd) / 2);
  const toEnd = totalBeats - 1 - beat;
  if (toEnd < beatsPerBar) f *= 1 - 0.6 * e * ((beatsPerBar - toEnd) / beatsPerBar);
  return clamp(f, 0.6, 1.2);
}

/** `song`'s tempo map with the tempo curve applied: one tempo event per beat, the written tempo times `tempoFactor`. */
export function shapeTempo(song: Song, expression: number): TempoEvent[] {
  if (clamp(expression, 0, 1) === 0 || song.notes.length === 0) return song.tempos.map((t) => ({ ...t }));
  const grid = phraseGrid(song);
  const written = (ticks: Ticks): number => {
    let bpm = song.tempos[0]?.bpm ?? 120;
    for (const t of song.tempos) if (t.ticks <= ticks) bpm = t.bpm;
    return bpm;
  };
  const beats = Math.ceil(grid.endTicks / grid.beatTicks);
  const out: TempoEvent[] = [];
  for (let b = 0; b < beats; b++) {
    const ticks = b * grid.beatTicks;
    out.push({ ticks, bpm: written(ticks) * tempoFactor(b, grid, expression) });
  }
  return out;
}

/** Shortest pedal segment, in seconds: faster bass lines are pedalled across. */
const MIN_PEDAL_SECONDS: Seconds = 0.25;
/** Gap after a new bass note before the pedal goes down again (legato pedalling), in seconds. */
const PEDAL_CATCH_SECONDS: Seconds = 0.05;
/** A rest longer than this lifts the pedal, in seconds. */
const REST_SECONDS: Seconds = 0.3;

/**
 * Sustain pedal for `song`: up at each new bass note (the lowest note struck at an instant, at or
 * below middle C) and down again 50 ms later, so each harmony is held and none smears into the
 * next; up over rests and at the end. None at expression 0.
 */
export function pedalFor(song: Song, expression: number): PedalEvent[] {
  if (clamp(expression, 0, 1) === 0 || song.notes.length === 0) return [];
  const map = tempoMapOf(song);
  const channel = song.notes[0]!.channel;
  const onsets = [...new Set(song.notes.map((n) => n.startTicks))].sort((a, b) => a - b);
  const lowest = new Map<number, number>();
  for (const n of song.notes) lowest.set(n.startTicks, Math.min(lowest.get(n.startTicks) ?? 128, n.pitch));
  // When the keys stop sounding: for finding rests.
  const sorted = [...song.notes].sort((a, b) => a.startTicks - b.startTicks);
  const out: PedalEvent[] = [];
  let down = false;
  let lastChange = -Infinity;
  let soundingUntil = 0;
  let k = 0;
  const push = (ticks: Ticks, isDown: boolean): void => {
    out.push({ ticks: Math.max(0, Math.round(ticks)), track: 0, channel, down: isDown });
    down = isDown;
  };
  for (const at of onsets) {
    while (k < sorted.length && sorted[k]!.startTicks < at) soundingUntil = Math.max(soundingUntil, sorted[k++]!.endTicks);
    const seconds = map.toSeconds(at);
    const rest = k > 0 && map.toSeconds(at) - map.toSeconds(soundingUntil) > REST_SECONDS;
    if (down && rest) push(soundingUntil, false);
    const bass = lowest.get(at)! <= 60;
    if (!down || (bass && seconds - lastChange >= MIN_PEDAL_SECONDS)) {
      if (down) push(at, false);
      push(map.toTicks(seconds + PEDAL_CATCH_SECONDS), true);
      lastChange = seconds;
    }
  }
  for (; k < sorted.length; k++) soundingUntil = Math.max(soundingUntil, sorted[k]!.endTicks);
  if (down) push(soundingUntil, false);
  return out;
}

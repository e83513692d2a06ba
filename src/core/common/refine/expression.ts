/**
 * Refinement by constrained re-decoding: walk a piece's performance events through the Music
 * Transformer and, at each event, let the model choose what the refinement may change while
 * everything else stays as written:
 *  - expression: a velocity before every note-on, drawn from the model's velocity distribution
 *    in context (generated pieces arrive with one flat velocity);
 *  - micro-timing and note lengths: each time shift redrawn from the model's distribution within
 *    a few 10 ms steps of the original, with the total drift from the written timing bounded;
 *  - smoothing (strength > 0): a note-on the model finds improbable in context (its share of the
 *    note-on probability below `strength × improbableShare`) is redrawn from the model's note-on
 *    distribution within `strength × 12` semitones; its note-off follows it.
 * At strength 0 every pitch and the order of every onset are kept. Pure: the model is any
 * `TransformerDecoder`, randomness a seeded `Rng`.
 */
import { DEFAULT_REFINE_TEMPERATURE } from './options';
import { Rng } from '../random';
import type { TransformerDecoder } from '../models/transformerDecoder';
import { binVelocity, MAX_SHIFT_STEPS, VELOCITY_BINS } from '../tokenize/performance';

/** Token id layout of the performance vocabulary (see tokenize/performance.ts). */
const NOTE_ON = 0;
const NOTE_OFF = 128;
/** TIME_SHIFT of s steps (1..100) is id SHIFT_BASE + s. */
const SHIFT_BASE = 255;
/** VELOCITY bin b (1..32) is id VELOCITY_BASE + b. */
const VELOCITY_BASE = 355;

/** How to refine. */
export interface ExpressionOptions {
  /** 0..1: how far smoothing may change pitches (0 = never). */
  strength?: number;
  /** Sampling temperature for every choice (lower = closer to the model's favourite). */
  temperature?: number;
  /** Seed: the same seed, model and input give the same result. */
  seed?: number;
  /** Largest change of one time shift, in 10 ms steps. */
  maxShiftChangeSteps?: number;
  /** Largest total drift from the written timing, in 10 ms steps. */
  maxDriftSteps?: number;
  /** At strength 1, a note-on with less than this share of the note-on probability is resampled. */
  improbableShare?: number;
  /**
   * The dynamic level the velocities are held to at each moment of the written timing (seconds).
   * A running mean of the chosen velocities is steered to it: each velocity choice tilts the
   * model's distribution (weights × exp(λ·(v − mean)), λ from a proportional-integral controller
   * on level − mean), which moves its centre and keeps its spread. The model shapes the
   * note-to-note dynamics and cannot wander off in level. Absent: the model alone.
   */
  levelAt?: (seconds: number) => number;
  /** Velocity scale of the controller, in MIDI velocity (default 16, the corpus's spread). */
  levelSpread?: number;
}

/** What refinement changed. */
export interface ExpressionReport {
  /** Note-ons read. */
  notes: number;
  /** Note-ons whose pitch smoothing changed. */
  notesResampled: number;
  /** Time shifts whose length changed. */
  shiftsChanged: number;
  /** Mean absolute change of onset times, in seconds. */
  meanTimingChangeSeconds: number;
  /** Mean log-probability per note-on under the model before and after (higher = more expected), in nats. */
  meanNoteLogProbBefore: number;
  meanNoteLogProbAfter: number;
}

const kindOf = (id: number): 'on' | 'off' | 'shift' | 'velocity' =>
  id < NOTE_OFF ? 'on' : id < SHIFT_BASE + 1 ? 'off' : id < VELOCITY_BASE + 1 ? 'shift' : 'velocity';

/** Samples an id from `logits` restricted to `candidates`, at `temperature`. */
function sampleAmong(logits: Float32Array, candidates: number[], temperature: number, rng: Rng): number {
  let max = -Infinity;
  for (const c of candidates) max = Math.max(max, logits[c]!);
  const weights = candidates.map((c) => Math.exp((logits[c]! - max) / temperature));
  const total = weights.reduce((s, w) => s + w, 0);
  let r = rng.next() * total;
  for (let i = 0; i < candidates.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return candidates[i]!;
  }
  return candidates[candidates.length - 1]!;
}

/** log p(id) among `candidates` under `logits`. */
function logProbAmong(logits: Float32Array, candidates: number[], id: number): number {
  let max = -Infinity;
  for (const c of candidates) max = Math.max(max, logits[c]!);
  let total = 0;
  for (const c of candidates) total += Math.exp(logits[c]! - max);
  return logits[id]! - max - Math.log(total);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const VELOCITIES = range(VELOCITY_BASE + 1, VELOCITY_BASE + VELOCITY_BINS);
const NOTE_ONS = range(NOTE_ON, NOTE_ON + 127);

/** The bin a performance decodes with before its first VELOCITY token. */
const DEFAULT_BIN = 16;

/**
 * The velocity bin for the next note-on, chosen as the model would write it. In the corpus a
 * VELOCITY token comes only when the bin changes, so the model's velocity logits describe "which
 * new bin" and never the bin in force; "keep it" is the mass of the model's note-on events (the
 * event that comes next when nothing changes). Drawing a velocity before every note-on instead
 * forced a change at every note, and the run of changes fed back on itself as context, drifting
 * down to the quietest bins within 30 s (issue 15).
 */
function chooseVelocity(logits: Float32Array, bin: number, temperature: number, rng: Rng, prior: (bin: number) => number): number {
  let max = -Infinity;
  for (const c of NOTE_ONS) max = Math.max(max, logits[c]!);
  let keep = 0;
  for (const c of NOTE_ONS) keep += Math.exp(logits[c]! - max);
  const keepLogit = max + Math.log(keep);
  const candidates = VELOCITIES.filter((c) => c !== VELOCITY_BASE + bin);
  max = keepLogit;
  for (const c of candidates) max = Math.max(max, logits[c]!);
  const weights = candidates.map((c) => Math.exp((logits[c]! - max) / temperature + prior(c - VELOCITY_BASE)));
  const keepWeight = Math.exp((keepLogit - max) / temperature + prior(bin));
  let r = rng.next() * (weights.reduce((s, w) => s + w, 0) + keepWeight);
  r -= keepWeight;
  if (r <= 0) return bin;
  for (let i = 0; i < candidates.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return candidates[i]! - VELOCITY_BASE;
  }
  return bin;
}

/** Refines performance-event ids; returns the new ids and what changed. */
export function refineExpression(
  ids: readonly number[],
  decoder: TransformerDecoder,
  options: ExpressionOptions = {},
): { ids: number[]; report: ExpressionReport } {
  const strength = Math.max(0, Math.min(1, options.strength ?? 0));
  const temperature = options.temperature ?? DEFAULT_REFINE_TEMPERATURE;
  const maxChange = options.maxShiftChangeSteps ?? 2;
  const maxDrift = options.maxDriftSteps ?? 3;
  const improbable = (options.improbableShare ?? 0.02) * strength;
  const window = Math.round(strength * 12);
  const rng = new Rng(options.seed ?? 1);
  const spread = options.levelSpread ?? 16;
  decoder.reset();

  const out: number[] = [];
  const report: ExpressionReport = {
    notes: 0,
    notesResampled: 0,
    shiftsChanged: 0,
    meanTimingChangeSeconds: 0,
    meanNoteLogProbBefore: 0,
    meanNoteLogProbAfter: 0,
  };
  let logits: Float32Array | undefined;
  const feed = (id: number): void => {
    out.push(id);
    logits = decoder.step(id);
  };
  const pitchMap = new Map<number, number>();
  const sounding = new Set<number>();
  let drift = 0;
  let timingChange = 0;
  // The level controller: running mean of chosen velocities (over ~16 notes) and its integral term.
  let mean: number | undefined;
  let integral = 0;
  // Where the written timing is, in 10 ms steps.
  let writtenSteps = 0;
  // The velocity bin in force, as the decoder of the events would read it (its default before any token).
  let bin = DEFAULT_BIN;

  for (const id of ids) {
    const kind = kindOf(id);
    if (!logits) {
      feed(id);
      if (kind === 'velocity') bin = id - VELOCITY_BASE;
      if (kind === 'shift') writtenSteps += id - SHIFT_BASE;
      continue;
    }
    // The written velocities are not kept: the model chooses them below, before each note-on.
    if (kind === 'velocity') continue;
    if (kind === 'on') {
      let prior = (_b: number): number => 0;
      if (options.levelAt) {
        const level = options.levelAt(writtenSteps * 0.01);
        mean ??= level;
        const error = (level - mean) / spread;
        integral = Math.max(-3, Math.min(3, integral + 0.05 * error));
        const lambda = (error + integral) / spread;
        const centre = mean;
        prior = (b) => lambda * (binVelocity(b) - centre);
      }
      const next = chooseVelocity(logits, bin, temperature, rng, prior);
      if (mean !== undefined) mean += (binVelocity(next) - mean) / 16;
      if (next !== bin) {
        feed(VELOCITY_BASE + next);
        bin = next;
      }
      const written = id - NOTE_ON;
      let pitch = written;
      report.notes++;
      const before = logProbAmong(logits, NOTE_ONS, NOTE_ON + written);
      report.meanNoteLogProbBefore += before;
      if (window > 0 && Math.exp(before) < improbable) {
        // Only keys that are not already sounding, so a chord never doubles a note.
        const candidates = NOTE_ONS.filter(
          (c) => Math.abs(c - NOTE_ON - written) <= window && !sounding.has(c - NOTE_ON) && c - NOTE_ON >= 21 && c - NOTE_ON <= 108,
        );
        if (candidates.length > 0) pitch = sampleAmong(logits, candidates, temperature, rng) - NOTE_ON;
        if (pitch !== written) report.notesResampled++;
      }
      report.meanNoteLogProbAfter += logProbAmong(logits, NOTE_ONS, NOTE_ON + pitch);
      pitchMap.set(written, pitch);
      sounding.add(pitch);
      feed(NOTE_ON + pitch);
      continue;
    }
    if (kind === 'off') {
      const written = id - NOTE_OFF;
      const pitch = pitchMap.get(written) ?? written;
      pitchMap.delete(written);
      sounding.delete(pitch);
      feed(NOTE_OFF + pitch);
      continue;
    }
    // A time shift: redraw within maxChange steps of the original, keeping the drift bounded.
    const steps = id - SHIFT_BASE;
    writtenSteps += steps;
    const lo = Math.max(1, steps - maxChange, steps - maxDrift - drift);
    const hi = Math.min(MAX_SHIFT_STEPS, steps + maxChange, steps + maxDrift - drift);
    const candidates = lo <= hi ? range(SHIFT_BASE + lo, SHIFT_BASE + hi) : [id];
    const chosen = sampleAmong(logits, candidates, temperature, rng) - SHIFT_BASE;
    if (chosen !== steps) report.shiftsChanged++;
    drift += chosen - steps;
    timingChange += Math.abs(drift);
    feed(SHIFT_BASE + chosen);
  }
  if (report.notes > 0) {
    report.meanNoteLogProbBefore /= report.notes;
    report.meanNoteLogProbAfter /= report.notes;
  }
  const shifts = ids.filter((id) => kindOf(id) === 'shift').length;
  report.meanTimingChangeSeconds = shifts ? (timingChange / shifts) * 0.01 : 0;
  return { ids: out, report };
}

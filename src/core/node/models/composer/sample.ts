/**
 * Sampling from the composer: all pieces advance together one token per model call (the forward
 * state is carried, the look-back LSTM rereads the last `lookback` tokens), and every draw keeps
 * to the `remi` grammar (a pitch is followed by its duration, positions move forward inside the
 * bar), so every generated token decodes to music.
 */
import { CancelledError } from '../../../common/errors';
import type { SamplingOptions } from '../../../common/generate/sampling';
import { sampleToken } from '../../../common/generate/sampling';
import type { PieceMemorySettings } from '../../../common/models/pieceMemory';
import { MemoryBudget, PieceMemory, remiPitchReading } from '../../../common/models/pieceMemory';
import type { RunOptions } from '../../../common/progress';
import { Rng } from '../../../common/random';
import type { RemiToken } from '../../../common/tokenize/remi';
import { parseRemiToken, RemiGrammar } from '../../../common/tokenize/remi';
import type { ComposerEngine, ComposerState } from './engine';
import { emptyChunk } from './engine';

/** The longest cycle of onset groups (in groups) that `maxRepeat` limits beside one repeated group. */
const MAX_CYCLE_PERIOD = 8;
/**
 * How many groups a cycle of 2 to 8 groups may span, per unit of `maxRepeat` (32 at the default
 * of 4): in the corpus the longest span of such a cycle is 15 groups in a median piece, 33 at the
 * 95th percentile; left alone, the composer's long pieces sat in one for 50 groups in a median
 * piece and up to 495.
 */
const CYCLE_SPAN_PER_REPEAT = 8;

/** One piece to sample. */
export interface ComposerRequest {
  /** Token ids the piece starts with (a primer; may be empty), already in the vocabulary. */
  primer: readonly number[];
  /** Seed of its draws. */
  seed: number;
}

/** How long and how to sample. */
export interface ComposerSampleOptions {
  sampling: SamplingOptions;
  /** Tokens to generate at most per piece. */
  maxTokens: number;
  /** Says when a piece is long enough (called after each token with the generated ids). */
  isComplete: (piece: number, generated: readonly number[]) => boolean;
  /** Ids never drawn (e.g. `<unk>`). */
  banned?: ReadonlySet<number>;
  /** The piece memory mixed into the model's distribution (the model's own, fitted), if any. */
  memory?: PieceMemorySettings;
  /** How much of the memory's fitted weight sampling uses, 0..1 (default 1). */
  memoryScale?: number;
  /** Most running mean of the memory's weight a piece may use (`MemoryBudget`; default 1: no limit). */
  memoryBudget?: number;
}

/**
 * Generates one token sequence per request (primer excluded). The model reads the start id, then
 * the primer, then its own draws.
 */
export function sampleComposer(
  engine: ComposerEngine,
  vocabTokens: readonly string[],
  requests: readonly ComposerRequest[],
  options: ComposerSampleOptions,
  run: RunOptions = {},
): number[][] {
  const a = engine.architecture;
  const V = a.vocabSize;
  const K = a.lookback;
  const P = requests.length;
  const parsed: (RemiToken | undefined)[] = vocabTokens.map((t) => parseRemiToken(t));
  const grammars = requests.map(() => new RemiGrammar());
  const rngs = requests.map((r) => new Rng(r.seed));
  const read: number[][] = requests.map(() => [V]);
  const generated: number[][] = requests.map(() => []);
  const done = new Array<boolean>(P).fill(false);
  const pitch = options.memory ? remiPitchReading(vocabTokens) : undefined;
  const memories = options.memory ? requests.map(() => new PieceMemory(options.memory!, pitch)) : undefined;
  const budgets = requests.map(() => new MemoryBudget(options.memoryBudget ?? 1));
  let state: ComposerState = engine.zeroState(P);
  // Onset groups (the pitches sounding from one position), as `evaluate`'s repetition measures
  // count events: the completed groups (their keys and lowest pitches), for each period P the
  // groups in a row equal to the one P before (`cycle[P]`), and the open group.
  const groups = requests.map(() => ({ keys: [] as string[], lowest: [] as number[], cycle: new Array<number>(MAX_CYCLE_PERIOD + 1).fill(0), open: [] as number[] }));
  const pitchIds = new Map<number, number[]>();
  parsed.forEach((t, id) => {
    if (t?.type === 'pitch') pitchIds.set(t.pitch, [...(pitchIds.get(t.pitch) ?? []), id]);
  });
  /** Follows piece `b`'s onset groups past token `id`. */
  const trackGroups = (b: number, id: number): void => {
    const t = parsed[id];
    const g = groups[b]!;
    if (t?.type === 'pitch') g.open.push(t.pitch);
    else if ((t?.type === 'pos' || t?.type === 'bar') && g.open.length > 0) {
      const key = g.open.join('.');
      const n = g.keys.length;
      for (let P = 1; P <= MAX_CYCLE_PERIOD; P++) g.cycle[P] = n - P >= 0 && g.keys[n - P] === key ? g.cycle[P]! + 1 : 0;
      g.keys.push(key);
      g.lowest.push(g.open[0]!);
      g.open = [];
    }
  };
  /**
   * The pitches a new onset of piece `b` may not start on: the lowest pitch of the group that
   * would extend a run of one group past `maxRepeat`, or a cycle of 2 to 8 groups past
   * `CYCLE_SPAN_PER_REPEAT × maxRepeat` groups (onsets' pitches rise, so a different lowest
   * pitch makes a different group).
   */
  const cycleBreakers = (b: number, maxRepeat: number): number[] => {
    const g = groups[b]!;
    const n = g.keys.length;
    const out: number[] = [];
    if (maxRepeat <= 0) return out;
    if (n >= 1 && g.cycle[1]! + 1 >= maxRepeat) out.push(g.lowest[n - 1]!);
    for (let P = 2; P <= MAX_CYCLE_PERIOD && P <= n; P++) if (g.cycle[P]! + P >= CYCLE_SPAN_PER_REPEAT * maxRepeat) out.push(g.lowest[n - P]!);
    return out;
  };

  /** Feeds the last token of every piece; returns the next-token probabilities [P, V]. */
  const step = (): Float32Array => {
    const chunk = emptyChunk(P, 1, K);
    chunk.inputs.set(read.map((r) => r[r.length - 1]!));
    chunk.targets.fill(-1);
    for (let b = 0; b < P; b++) {
      const r = read[b]!;
      for (let k = 0; k < K - 1; k++) {
        const i = r.length - 1 - (K - 1) + k;
        chunk.history[k * P + b] = i >= 0 ? r[i]! : V;
      }
    }
    const f = engine.forward(chunk, state);
    state = f.state;
    return f.probs;
  };

  // Primers are fed token by token, all pieces in one call; a piece whose primer has ended keeps
  // its state and probabilities from before the call (feeding it a filler token would change them).
  const longestPrimer = Math.max(0, ...requests.map((r) => r.primer.length));
  let probs = step();
  for (let t = 0; t < longestPrimer; t++) {
    const keep = state;
    const rows: number[] = [];
    for (let b = 0; b < P; b++) {
      const id = requests[b]!.primer[t];
      if (id === undefined) continue;
      read[b]!.push(id);
      memories?.[b]!.push(id);
      trackGroups(b, id);
      const g = parsed[id];
      if (g && grammars[b]!.allows(g)) grammars[b]!.advance(g);
      rows.push(b);
    }
    const next = step();
    // Rows whose primer had ended keep their previous state and probabilities.
    for (let b = 0; b < P; b++) {
      if (rows.includes(b)) continue;
      for (let l = 0; l < a.forwardUnits.length; l++) {
        const H = a.forwardUnits[l]!;
        state.h[l]!.set(keep.h[l]!.subarray(b * H, b * H + H), b * H);
        state.c[l]!.set(keep.c[l]!.subarray(b * H, b * H + H), b * H);
      }
      next.set(probs.subarray(b * V, b * V + V), b * V);
    }
    probs = next;
  }

  const masked = new Float32Array(V);
  for (let t = 0; t < options.maxTokens && done.some((d) => !d); t++) {
    if (run.signal?.aborted) throw new CancelledError();
    for (let b = 0; b < P; b++) {
      if (done[b]) continue;
      const grammar = grammars[b]!;
      masked.set(probs.subarray(b * V, b * V + V));
      const lambda = memories?.[b]!.mixInto(masked, (options.memoryScale ?? 1) * budgets[b]!.factor()) ?? 0;
      budgets[b]!.record(lambda);
      for (let v = 0; v < V; v++) if (options.banned?.has(v) || !grammar.allows(parsed[v])) masked[v] = 0;
      // `maxRepeat`: no group more than maxRepeat times in a row, no short cycle of groups for long.
      if (grammar.state === 'pos')
        for (const pitch of cycleBreakers(b, options.sampling.maxRepeat)) for (const v of pitchIds.get(pitch) ?? []) masked[v] = 0;
      const id = sampleToken(masked, options.sampling, rngs[b]!, {});
      grammar.advance(parsed[id]!);
      read[b]!.push(id);
      memories?.[b]!.push(id);
      trackGroups(b, id);
      generated[b]!.push(id);
      if (options.isComplete(b, generated[b]!)) done[b] = true;
    }
    run.onProgress?.({ stage: 'generate', done: t + 1, total: options.maxTokens });
    if (done.every((d) => d)) break;
    probs = step();
  }
  return generated;
}

/**
 * The autoregressive loop: read a window, sample the next event, slide the window, for several
 * pieces at once. It is runtime-agnostic: ONNX and TF.js plug in as a `PredictFn`.
 */
import { throwIfCancelled } from '../errors';
import type { RunOptions } from '../progress';
import { Rng } from '../random';
import type { SamplingOptions } from './sampling';
import { sampleToken } from './sampling';

/** Next-token probabilities [batchSize, vocabSize] for windows [batchSize, window], both row-major. */
export type PredictFn = (windows: Int32Array, batchSize: number) => Promise<Float32Array> | Float32Array;

/** One piece to generate. */
export interface SequenceRequest {
  /** The starting context: exactly `window` token ids. */
  context: readonly number[];
  /** Seed of this piece's own random stream, so a piece does not depend on what else is in the batch. */
  seed: number;
}

/** Loop settings. */
export interface SampleSequencesOptions {
  /** Tokens the model reads. */
  window: number;
  /** Vocabulary size (width of each probability row). */
  vocabSize: number;
  /** Events to generate per piece, at most. */
  maxEvents: number;
  /** Sampling settings. */
  sampling: SamplingOptions;
  /** Ids never generated (e.g. the unknown token). */
  banned?: ReadonlySet<number>;
  /** Which ids are musical events, for the repetition guard (default: all). */
  isEvent?: (id: number) => boolean;
  /** Rows per `predict` call (default: every unfinished piece in one call). */
  batchSize?: number;
  /** Ends a piece early, e.g. once its decoded song is long enough; called after each event. */
  isComplete?: (index: number, generated: readonly number[]) => boolean;
}

/** Generates one id sequence per request (the context is not included). */
export async function sampleSequences(
  predict: PredictFn,
  requests: readonly SequenceRequest[],
  options: SampleSequencesOptions,
  run: RunOptions = {},
): Promise<number[][]> {
  const { window, vocabSize, maxEvents } = options;
  const banned = options.banned ?? new Set<number>();
  const contexts = requests.map((r) => {
    if (r.context.length !== window) throw new RangeError(`A context must hold ${window} ids, not ${r.context.length}.`);
    return [...r.context];
  });
  const rngs = requests.map((r) => new Rng(r.seed));
  const generated: number[][] = requests.map(() => []);
  const done = requests.map(() => maxEvents <= 0);
  const total = maxEvents * requests.length;
  let produced = 0;
  const started = Date.now();
  for (;;) {
    const active = done.flatMap((d, i) => (d ? [] : [i]));
    if (active.length === 0) break;
    throwIfCancelled(run.signal);
    const chunk = Math.max(1, options.batchSize ?? active.length);
    for (let start = 0; start < active.length; start += chunk) {
      const rows = active.slice(start, start + chunk);
      const windows = new Int32Array(rows.length * window);
      rows.forEach((i, r) => windows.set(contexts[i]!.slice(contexts[i]!.length - window), r * window));
      const probs = await predict(windows, rows.length);
      rows.forEach((i, r) => {
        const row = probs.subarray(r * vocabSize, (r + 1) * vocabSize);
        const id = sampleToken(row, options.sampling, rngs[i]!, { history: contexts[i]!.slice(-window), banned, isEvent: options.isEvent });
        contexts[i]!.push(id);
        generated[i]!.push(id);
        produced++;
        if (generated[i]!.length >= maxEvents || options.isComplete?.(i, generated[i]!)) done[i] = true;
      });
    }
    const seconds = (Date.now() - started) / 1000;
    run.onProgress?.({
      stage: 'generate',
      done: produced,
      total,
      metrics: seconds > 0 ? { tokensPerSecond: Math.round(produced / seconds) } : undefined,
    });
  }
  return generated;
}

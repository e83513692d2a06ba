/**
 * The composer with its piece memory (src/core/common/models/pieceMemory.ts): scoring pieces
 * under the mixture, and fitting the memory's weights on real continuations.
 */
import type { MemoryObservation, PieceMemorySettings, PitchReading } from '../../../common/models/pieceMemory';
import { fitMemoryWeights, memoryNll, PieceMemory, remiPitchReading, untrainedMemory } from '../../../common/models/pieceMemory';
import type { ComposerMemory } from './config';
import type { ComposerEngine } from './engine';
import { scorePieces } from './likelihood';

/** Likelihood of pieces with and without the memory. */
export interface MemoryScore {
  /** Summed NLL (nats) under the mixture. */
  nats: number;
  /** Summed NLL (nats) of the model alone on the same targets. */
  modelNats: number;
  targets: number;
  /** Targets where the memory proposed something. */
  proposed: number;
  /** What the memory proposed at each such target (for fitting). */
  observations: MemoryObservation[];
}

/**
 * Scores `pieces` (each cut to its first `maxTokens` when > 0) under the model mixed with each
 * piece's own memory, every token predicted from all before it.
 */
export function scoreWithMemory(
  engine: ComposerEngine,
  pieces: readonly Uint16Array[],
  settings: PieceMemorySettings,
  pitch: PitchReading | undefined,
  maxTokens = 0,
  signal?: AbortSignal,
): MemoryScore {
  const kept = pieces.filter((p) => p.length > 0);
  const memories = kept.map(() => new PieceMemory(settings, pitch));
  const observations: MemoryObservation[] = [];
  let nats = 0;
  let modelNats = 0;
  let targets = 0;
  scorePieces(engine, kept, maxTokens, 256, signal, (piece, position, probs, offset) => {
    const memory = memories[piece]!;
    const truth = kept[piece]![position]!;
    const model = Math.max(1e-30, probs[offset + truth]!);
    const proposal = memory.propose();
    let mixed = model;
    if (proposal) {
      const k = proposal.ids.indexOf(truth);
      const share = k >= 0 ? proposal.shares[k]! : 0;
      observations.push({ cell: proposal.cell, model, memory: share });
      const lambda = memory.weightOf(proposal);
      mixed = Math.max(1e-30, (1 - lambda) * model + lambda * share);
    }
    nats -= Math.log(mixed);
    modelNats -= Math.log(model);
    targets++;
    memory.push(truth);
  });
  return { nats, modelNats, targets, proposed: observations.length, observations };
}

/** What fitting the memory found, on the pieces it was fitted on. */
export interface MemoryFitReport {
  settings: PieceMemorySettings;
  /** Pieces and targets fitted on. */
  pieces: number;
  targets: number;
  /** Mean NLL, nats/token, of those targets: model alone, and with the fitted memory. */
  modelNll: number;
  mixedNll: number;
}

/**
 * Fits the memory's weights by maximum likelihood on `pieces` (use pieces the model was trained
 * on or a split not used for reporting: the weights are then honest on held-out music).
 */
export function fitComposerMemory(
  engine: ComposerEngine,
  pieces: readonly Uint16Array[],
  pitch: PitchReading | undefined,
  maxTokens = 0,
  signal?: AbortSignal,
): MemoryFitReport {
  const start = untrainedMemory();
  const scored = scoreWithMemory(engine, pieces, start, pitch, maxTokens, signal);
  const fit = fitMemoryWeights(scored.observations, start.weights.length);
  const settings: PieceMemorySettings = { ...start, weights: fit.weights.map((w) => Math.round(w * 1e4) / 1e4) };
  // The mixture's NLL on the same targets: positions without a proposal keep the model's.
  const proposed = memoryNll(scored.observations, settings.weights);
  const gain = (proposed.model - proposed.mixed) * scored.observations.length;
  const n = Math.max(1, scored.targets);
  return { settings, pieces: pieces.length, targets: scored.targets, modelNll: scored.modelNats / n, mixedNll: (scored.modelNats - gain) / n };
}

/** Training pieces the memory is fitted on at most (evenly spread), and tokens read of each. */
const FIT_PIECES = 40;
const FIT_TOKENS = 3000;

/**
 * The memory a trained composer stores: weights fitted on up to 40 training pieces spread over
 * the split (the model's training loss is close to its validation loss, so these are fair
 * continuations and no validation piece is tuned on), then the validation NLL with it.
 */
export function composerMemoryFor(
  engine: ComposerEngine,
  vocabTokens: readonly string[],
  train: readonly Uint16Array[],
  valid: readonly Uint16Array[],
  signal?: AbortSignal,
): ComposerMemory {
  const every = Math.max(1, Math.floor(train.length / FIT_PIECES));
  const fitOn = train.filter((_, i) => i % every === 0).slice(0, FIT_PIECES);
  const pitch = remiPitchReading(vocabTokens);
  const fit = fitComposerMemory(engine, fitOn, pitch, FIT_TOKENS, signal);
  const v = scoreWithMemory(engine, valid, fit.settings, pitch, 0, signal);
  return { ...fit.settings, fittedPieces: fit.pieces, fittedTargets: fit.targets, validNll: v.nats / Math.max(1, v.targets) };
}

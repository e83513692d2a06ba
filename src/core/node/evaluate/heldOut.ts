/**
 * Held-out likelihood of a model folder on a folder of MIDI files, with no preprocessing: every
 * file is tokenized with the model's own tokenizer and vocabulary; the files the model was trained
 * on (config.json `trainingPieces`, matched by the sha-256 of the file bytes, or the files of
 * `--ngram-train`) train the Kneser-Ney n-gram and the unigram baselines and are not scored; the
 * others are scored by the model and both baselines on the same targets. See docs/METRICS.md.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { CadenzaError, ModelError, throwIfCancelled, UsageError } from '../../common/errors';
import type { LikelihoodReport } from '../../common/evaluate/report';
import { KneserNeyModel, meanNll, UnigramModel } from '../../common/evaluate/ngram';
import type { RunOptions } from '../../common/progress';
import { vocabularyIndex } from '../../common/tokenize/vocabulary';
import { ioError } from '../fs/atomic';
import type { LikelihoodModel } from '../models/scorer';
import { openLikelihoodModel } from './likelihoodModel';
import { resolveSource } from '../sources/resolve';
import { encodeMidiForModel } from './tokenizeForModel';

/** One MIDI file encoded for a model. */
export interface EncodedPiece {
  /** Display name (path relative to its folder, without extension). */
  name: string;
  midiPath: string;
  /** Hex sha-256 of the file's bytes. */
  sha256: string;
  ids: Uint16Array;
  /** Tokens that had no id and no substitute in the model's vocabulary. */
  unknownTokens: number;
}

/** Options of `scoreHeldOut`. */
export interface HeldOutOptions extends RunOptions {
  /** MIDI folder (or corpus / preprocessed data) whose non-training pieces are scored. */
  reference: string;
  /** Flag named in messages about `reference` (default '--reference'). */
  referenceFlag?: string;
  /** MIDI folder of the n-gram's training pieces, for a model whose config lists none. */
  ngramTrain?: string;
  /** N of the Kneser-Ney baseline (default 5). */
  ngramOrder?: number;
  /** Most targets scored (default: all); each piece keeps the same share of its targets, from its start. */
  maxTargets?: number;
  /** An opened model to use instead of opening `modelPath` (it is not disposed). */
  model?: LikelihoodModel;
}

/** Hex sha-256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads and encodes every MIDI file of the set `p` names for `model`. A file that cannot be read
 * becomes a warning; none readable is a `UsageError` naming `flag`.
 */
export async function encodeSet(
  p: string,
  flag: string,
  model: LikelihoodModel,
  warnings: string[],
  run: RunOptions = {},
): Promise<EncodedPiece[]> {
  const source = await resolveSource(p, flag);
  const index = vocabularyIndex(model.vocab);
  const out: EncodedPiece[] = [];
  const midi = source.pieces.filter((s) => s.midiPath);
  for (const [i, s] of midi.entries()) {
    throwIfCancelled(run.signal);
    run.onProgress?.({ stage: 'tokenize', done: i, total: midi.length, message: s.name });
    try {
      let bytes: Uint8Array;
      try {
        bytes = await fs.readFile(s.midiPath!);
      } catch (error) {
        throw ioError(error, s.midiPath!, 'read');
      }
      const { ids, stats } = encodeMidiForModel(bytes, model, s.midiPath!, index);
      out.push({
        name: s.name,
        midiPath: s.midiPath!,
        sha256: sha256Hex(bytes),
        ids: Uint16Array.from(ids),
        unknownTokens: stats.unknownTokens,
      });
    } catch (error) {
      if (error instanceof ModelError) throw error;
      warnings.push(
        error instanceof CadenzaError
          ? error.message
          : `${s.midiPath} could not be tokenized: ${String(error)}.`,
      );
    }
  }
  if (out.length === 0)
    throw new UsageError(`${flag} names ${p}, which holds no MIDI file that could be read.`, {
      field: flag,
      path: p,
    });
  return out;
}

/** Splits `pieces` by the model's training list (by sha-256): training pieces and the rest. */
export function splitByTraining(
  pieces: readonly EncodedPiece[],
  training: ReadonlySet<string>,
): { train: EncodedPiece[]; heldOut: EncodedPiece[] } {
  const train = pieces.filter((p) => training.has(p.sha256));
  const heldOut = pieces.filter((p) => !training.has(p.sha256));
  return { train, heldOut };
}

/**
 * The model's NLL on the reference pieces it was not trained on, beside a Kneser-Ney n-gram and
 * the add-one unigram trained on its training pieces, on the same targets. Throws `UsageError`
 * when the training pieces are unknown (no `trainingPieces`, no `--ngram-train`) or nothing is left to score.
 */
export async function scoreHeldOut(modelPath: string, options: HeldOutOptions): Promise<LikelihoodReport> {
  const model = options.model ?? (await openLikelihoodModel(modelPath));
  try {
    return await score(model, options);
  } finally {
    if (!options.model) await model.dispose();
  }
}

async function score(model: LikelihoodModel, options: HeldOutOptions): Promise<LikelihoodReport> {
  const flag = options.referenceFlag ?? '--reference';
  const order = options.ngramOrder ?? 5;
  const warnings: string[] = [];
  if (!model.trainingPieces && options.ngramTrain === undefined)
    throw new UsageError(
      `The model in ${model.modelPath} does not list its training pieces (config.json has no trainingPieces), so evaluate cannot tell held-out pieces from training ones; give --ngram-train <MIDI folder> with the pieces it was trained on.`,
      { field: '--ngram-train', path: model.modelPath },
    );
  const reference = await encodeSet(options.reference, flag, model, warnings, options);
  let train: EncodedPiece[];
  let heldOut: EncodedPiece[];
  let trainingSource: LikelihoodReport['trainingSource'];
  if (options.ngramTrain !== undefined) {
    train = await encodeSet(options.ngramTrain, '--ngram-train', model, warnings, options);
    const hashes = new Set(train.map((p) => p.sha256));
    if (model.trainingPieces) for (const p of model.trainingPieces) hashes.add(p.sha256);
    heldOut = reference.filter((p) => !hashes.has(p.sha256));
    trainingSource = '--ngram-train';
  } else {
    ({ train, heldOut } = splitByTraining(reference, new Set(model.trainingPieces!.map((p) => p.sha256))));
    trainingSource = 'trainingPieces';
    if (train.length === 0)
      throw new UsageError(
        `None of the files under ${flag} ${options.reference} is one of the ${model.trainingPieces!.length} training pieces of ${model.modelPath}, so there is nothing to train the n-gram baseline on; give --ngram-train <MIDI folder>.`,
        { field: '--ngram-train', path: options.reference },
      );
  }
  const result = await scoreSplit(model, train, heldOut, { ...options, ngramOrder: order, trainingSource });
  result.warnings.unshift(...warnings);
  if (result.pieces === 0)
    throw new UsageError(
      `${flag} ${options.reference} holds no piece the model was not trained on${heldOut.length ? ` that is longer than its context of ${model.firstTarget} tokens` : ''}, so there is nothing held out to score.`,
      { field: flag, path: options.reference },
    );
  return result;
}

/** Options of `scoreSplit`. */
export interface ScoreSplitOptions extends RunOptions {
  ngramOrder?: number;
  maxTargets?: number;
  /** Where `train` came from, as the report says it. */
  trainingSource: LikelihoodReport['trainingSource'];
}

/**
 * The model, a Kneser-Ney n-gram and the unigram (both trained on `train`) scored on the same
 * targets of `heldOut` (pieces no longer than the model's context are skipped; `pieces` = 0 when
 * none is left, and the NLLs are then NaN).
 */
export async function scoreSplit(
  model: LikelihoodModel,
  train: readonly EncodedPiece[],
  heldOut: readonly EncodedPiece[],
  options: ScoreSplitOptions,
): Promise<LikelihoodReport> {
  const order = options.ngramOrder ?? 5;
  const trainingSource = options.trainingSource;
  const warnings: string[] = [];
  const scorable = heldOut.filter((p) => p.ids.length > model.firstTarget);
  throwIfCancelled(options.signal);
  options.onProgress?.({
    stage: 'n-gram',
    done: 0,
    message: `training a ${order}-gram on ${train.length} pieces`,
  });
  const vocabSize = model.vocab.tokens.length;
  const ngram = new KneserNeyModel(
    train.map((p) => p.ids),
    vocabSize,
    { order },
  );
  const unigram = new UnigramModel(
    train.map((p) => p.ids),
    vocabSize,
  );
  const total = scorable.reduce((n, p) => n + p.ids.length - model.firstTarget, 0);
  const share =
    options.maxTargets !== undefined && total > options.maxTargets ? options.maxTargets / total : 1;
  const sums = { model: 0, ngram: 0, unigram: 0, targets: 0 };
  // The model alone, where it has a piece memory: known only if every piece reports it.
  let withoutMemory: number | undefined = 0;
  let unknownTokens = 0;
  for (const [i, p] of scorable.entries()) {
    throwIfCancelled(options.signal);
    options.onProgress?.({ stage: 'likelihood', done: i, total: scorable.length, message: p.name });
    const keep = Math.max(1, Math.floor((p.ids.length - model.firstTarget) * share));
    const ids = p.ids.subarray(0, model.firstTarget + keep);
    const m = await model.nll(ids, options);
    const n = ngram.nll(ids, model.firstTarget);
    const u = unigram.nll(ids, model.firstTarget);
    if (m.targets !== n.targets)
      throw new ModelError(
        `The model in ${model.modelPath} scored ${m.targets} targets of ${p.name} where ${n.targets} were expected.`,
        { path: model.modelPath },
      );
    sums.model += m.sumNats;
    withoutMemory = withoutMemory !== undefined && m.withoutMemoryNats !== undefined ? withoutMemory + m.withoutMemoryNats : undefined;
    sums.ngram += n.sumNats;
    sums.unigram += u.sumNats;
    sums.targets += m.targets;
    unknownTokens += p.unknownTokens;
  }
  options.onProgress?.({ stage: 'likelihood', done: scorable.length, total: scorable.length });
  return {
    modelPath: model.modelPath,
    format: model.format,
    tokenizer: model.tokenizer.kind,
    modelNll: meanNll({ sumNats: sums.model, targets: sums.targets }),
    ...(withoutMemory !== undefined && scorable.length > 0 ? { modelWithoutMemoryNll: meanNll({ sumNats: withoutMemory, targets: sums.targets }) } : {}),
    ngramNll: meanNll({ sumNats: sums.ngram, targets: sums.targets }),
    ngramOrder: order,
    unigramNll: meanNll({ sumNats: sums.unigram, targets: sums.targets }),
    targets: sums.targets,
    unknownTokens,
    pieces: scorable.length,
    trainingPieces: train.length,
    trainingTokens: ngram.trainTokens,
    trainingSource,
    firstTarget: model.firstTarget,
    capped: share < 1,
    warnings,
  };
}

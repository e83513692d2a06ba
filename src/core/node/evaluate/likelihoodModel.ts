/**
 * A model folder as something that scores token sequences: `LikelihoodModel`, and
 * `openLikelihoodModel`, which reads the folder's config.json and opens the right scorer for its
 * format. Held-out likelihood (`heldOut.ts`) and `cadenza tokenize --model` use it, so neither
 * needs data preprocessed with the model's vocabulary.
 */
import path from 'node:path';
import { ModelError, throwIfCancelled } from '../../common/errors';
import { PROBABILITY_FLOOR } from '../../common/evaluate/likelihood';
import type { Vocabulary } from '../../common/tokenize/types';
import { readJson } from '../fs/atomic';
import { readLstmConfig } from '../models/lstm/config';
import { openLstmRuntime } from '../generate/runtime';
import type { LikelihoodModel, ModelTokenizerConfig } from '../models/scorer';
import { parseTrainingPieces } from '../models/scorer';

/** What every scorable config.json has in common. */
interface ModelConfigHead {
  format?: unknown;
  tokenizer?: unknown;
  vocab?: unknown;
  trainingPieces?: unknown;
}


/** Windows scored per model call by the windowed LSTM scorer. */
const LSTM_BATCH = 128;

/** The windowed `cadenza-lstm` format: each target predicted from the `window` ids before it, on the generation runtime. */
async function openWindowedLstmScorer(
  modelDir: string,
  head: ModelConfigHead,
  file: string,
): Promise<LikelihoodModel> {
  const config = await readLstmConfig(modelDir);
  const runtime = await openLstmRuntime(modelDir, 'auto', { engine: 'window', rows: LSTM_BATCH });
  const { window, vocabSize } = config.architecture;
  return {
    modelPath: modelDir,
    format: config.format,
    tokenizer: config.tokenizer,
    vocab: config.vocab,
    trainingPieces: parseTrainingPieces(head.trainingPieces, file),
    firstTarget: window,
    async nll(ids, run = {}) {
      let sumNats = 0;
      let targets = 0;
      for (let start = window; start < ids.length; start += LSTM_BATCH) {
        throwIfCancelled(run.signal);
        const rows = Math.min(LSTM_BATCH, ids.length - start);
        const windows = new Int32Array(rows * window);
        for (let r = 0; r < rows; r++)
          for (let i = 0; i < window; i++) windows[r * window + i] = ids[start + r - window + i]!;
        const probs = await runtime.predict(windows, rows);
        for (let r = 0; r < rows; r++) {
          const p = probs[r * vocabSize + ids[start + r]!] ?? 0;
          sumNats -= Math.log(Math.max(PROBABILITY_FLOOR, p));
          targets++;
        }
      }
      return { sumNats, targets };
    },
    dispose: () => runtime.dispose(),
  };
}

async function readHead(modelDir: string): Promise<{ head: ModelConfigHead; file: string }> {
  const file = path.join(modelDir, 'config.json');
  let head: ModelConfigHead;
  try {
    head = await readJson<ModelConfigHead>(file);
  } catch (error) {
    throw new ModelError(`${file} could not be read; is ${modelDir} a Cadenza model folder?`, {
      path: file,
      cause: error,
    });
  }
  if (typeof head !== 'object' || head === null)
    throw new ModelError(`${file} is not a model config (not a JSON object).`, { path: file });
  return { head, file };
}

/** A model's tokenizer and vocabulary, read from any model folder's config.json (`tokenizer`, `vocab`) without opening the model. */
export async function readModelTokenization(
  modelDir: string,
): Promise<{ modelPath: string; tokenizer: ModelTokenizerConfig; vocab: Vocabulary }> {
  const { head, file } = await readHead(modelDir);
  const tokenizer = head.tokenizer as ModelTokenizerConfig | undefined;
  if (typeof tokenizer !== 'object' || tokenizer === null || typeof tokenizer.kind !== 'string')
    throw new ModelError(`${file} has no tokenizer {kind, …}.`, { path: file, field: 'tokenizer' });
  const vocab = head.vocab as Vocabulary | undefined;
  if (
    typeof vocab !== 'object' ||
    vocab === null ||
    !Array.isArray(vocab.tokens) ||
    !vocab.tokens.every((t) => typeof t === 'string')
  )
    throw new ModelError(`${file} has no vocab with a list of token strings.`, {
      path: file,
      field: 'vocab',
    });
  return { modelPath: modelDir, tokenizer, vocab };
}

/**
 * Opens the model in `modelDir` as a `LikelihoodModel`, by config.json's `format`. Throws
 * `ModelError` naming the file when it is missing, damaged or of a format nothing here scores.
 */
export async function openLikelihoodModel(modelDir: string): Promise<LikelihoodModel> {
  const { head, file } = await readHead(modelDir);
  switch (head.format) {
    case 'cadenza-lstm':
      return openWindowedLstmScorer(modelDir, head, file);
    case 'cadenza-composer':
      return (await import('../models/composer/score')).openComposerScorer(modelDir);
    case 'cadenza-transformer':
      return (await import('../models/transformer/score')).openTransformerScorer(modelDir);
    default:
      throw new ModelError(
        `${file} has format ${JSON.stringify(head.format)}, which evaluate cannot score (it knows cadenza-composer, cadenza-lstm and cadenza-transformer).`,
        { path: file, field: 'format' },
      );
  }
}

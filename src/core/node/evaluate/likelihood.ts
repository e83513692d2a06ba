/** Held-out likelihood of an LSTM model folder on the validation pieces of preprocessed data. */
import { ModelError, throwIfCancelled } from '../../common/errors';
import { LikelihoodAccumulator, unigramLikelihood } from '../../common/evaluate/likelihood';
import type { LikelihoodReport } from '../../common/evaluate/report';
import type { RunOptions } from '../../common/progress';
import { readLstmConfig } from '../models/lstm/config';
import { loadLstmModel } from '../models/lstm/model';
import { loadTokenDataset } from '../preprocess/dataset';
import type { DatasetPiece } from '../preprocess/types';

/**
 * How often each token id occurs in the training split's tokens. Counted from the tokens
 * themselves rather than taken from vocab.json, whose counts were made before rare tokens were
 * decomposed and so do not match what the model was trained on.
 */
function trainCounts(pieces: readonly DatasetPiece[], vocabSize: number): number[] {
  const counts = new Array<number>(vocabSize).fill(0);
  for (const p of pieces) if (p.split === 'train') for (const t of p.tokens) counts[t]!++;
  return counts;
}

/** Options of `scoreModel`. */
export interface ScoreModelOptions extends RunOptions {
  /** Most targets scored (spread evenly over the validation pieces); default 20,000. */
  maxTargets?: number;
  /** Windows per forward pass; default 128. */
  batchSize?: number;
}

/**
 * Scores every next token of the validation pieces in `dataPath` that has a full window before
 * it, with the model in `modelPath` and with the unigram baseline. Throws `ModelError` when the
 * model's vocabulary is not the data's, `DataError` when the data has no validation targets.
 */
export async function scoreModel(
  modelPath: string,
  dataPath: string,
  options: ScoreModelOptions = {},
): Promise<LikelihoodReport> {
  // The model's tokenizer picks the data folder when the data holds several kinds (notes/, performance/).
  const config = await readLstmConfig(modelPath);
  const data = await loadTokenDataset(dataPath, config.tokenizer.kind);
  const model = await loadLstmModel(modelPath);
  try {
    const { window, vocabSize } = model.architecture;
    const same =
      model.vocab.tokens.length === data.vocab.tokens.length &&
      model.vocab.tokens.every((t, i) => t === data.vocab.tokens[i]);
    if (!same)
      throw new ModelError(
        `The model in ${modelPath} was trained on another vocabulary than the data in ${data.dir}; evaluate it with the data it was trained on.`,
        { path: modelPath, field: 'vocab' },
      );
    const valid = data.pieces.filter((p) => p.split === 'valid' && p.tokens.length > window);
    const total = valid.reduce((n, p) => n + p.tokens.length - window, 0);
    if (total === 0)
      throw new ModelError(
        `${data.dir} has no validation piece longer than the model's window (${window} tokens), so there is nothing held out to score.`,
        { path: data.dir },
      );
    const maxTargets = options.maxTargets ?? 20000;
    const stride = Math.max(1, Math.ceil(total / maxTargets));
    const positions: [piece: number, t: number][] = [];
    valid.forEach((p, k) => {
      for (let t = window; t < p.tokens.length; t += stride) positions.push([k, t]);
    });
    const acc = new LikelihoodAccumulator();
    const targets: number[] = [];
    const batch = options.batchSize ?? 128;
    for (let start = 0; start < positions.length; start += batch) {
      throwIfCancelled(options.signal);
      const chunk = positions.slice(start, start + batch);
      const windows = new Int32Array(chunk.length * window);
      const chunkTargets = chunk.map(([k, t], b) => {
        const tokens = valid[k]!.tokens;
        for (let i = 0; i < window; i++) windows[b * window + i] = tokens[t - window + i]!;
        return tokens[t]!;
      });
      acc.addBatch(model.predict(windows, batch), vocabSize, chunkTargets);
      targets.push(...chunkTargets);
      options.onProgress?.({
        stage: 'likelihood',
        done: Math.min(positions.length, start + batch),
        total: positions.length,
      });
    }
    return {
      modelPath,
      dataPath: data.dir,
      pieces: valid.length,
      model: acc.result(),
      unigram: unigramLikelihood(trainCounts(data.pieces, vocabSize), targets),
      capped: stride > 1,
    };
  } finally {
    model.dispose();
  }
}

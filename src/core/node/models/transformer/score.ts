/**
 * The Music Transformer as a `LikelihoodModel` for `cadenza evaluate --model`: every event of a
 * piece after the first scored with at least half a context before it (windows of `seqLength`
 * events every `seqLength / 2`, each scoring its second half; the first window scores all of it),
 * on the training engine's forward pass (the kernels `selectKernels` picks).
 */
import { throwIfCancelled } from '../../../common/errors';
import { PROBABILITY_FLOOR } from '../../../common/evaluate/likelihood';
import { transformerWeightShapes } from '../../../common/models/transformer';
import { selectKernels } from '../../tensor/kernels';
import type { LikelihoodModel } from '../scorer';
import { parseTrainingPieces } from '../scorer';
import { TransformerEngine } from './engine';
import { loadTransformer } from './load';

/** Opens the transformer in `dir` for scoring. */
export async function openTransformerScorer(dir: string): Promise<LikelihoodModel> {
  const loaded = await loadTransformer(dir);
  const a = loaded.config.architecture;
  const weights = new Map<string, Float32Array>();
  let offset = 0;
  for (const [name, shape] of transformerWeightShapes(a)) {
    const size = shape.reduce((x, y) => x * y, 1);
    weights.set(name, loaded.weights.subarray(offset, offset + size));
    offset += size;
  }
  const engine = new TransformerEngine(a, weights, (await selectKernels('auto')).kernels);
  const L = a.seqLength;
  const half = Math.max(1, Math.floor(L / 2));
  const V = a.vocabSize;
  return {
    modelPath: dir,
    format: loaded.config.format,
    tokenizer: loaded.config.tokenizer,
    vocab: loaded.config.vocab,
    trainingPieces: parseTrainingPieces(loaded.config.trainingPieces, `${dir}/config.json`),
    firstTarget: 1,
    nll(ids, run = {}) {
      let sumNats = 0;
      let targets = 0;
      // A window from s covers inputs ids[s .. s+len) (as long as the piece allows) and scores its
      // targets from index `from` on: all of the first window's, the second half of every other's.
      if (ids.length >= 2)
        for (let s = 0; ; s += half) {
          throwIfCancelled(run.signal);
          const len = Math.min(L, ids.length - 1 - s);
          const x = new Int32Array(len);
          const y = new Int32Array(len);
          for (let i = 0; i < len; i++) {
            x[i] = ids[s + i]!;
            y[i] = ids[s + i + 1]!;
          }
          const f = engine.forward(x, y, 1, len);
          for (let i = s === 0 ? 0 : L - half; i < len; i++) {
            sumNats -= Math.log(Math.max(PROBABILITY_FLOOR, f.probs[i * V + y[i]!]!));
            targets++;
          }
          if (s + L >= ids.length - 1) break;
        }
      return { sumNats, targets };
    },
    dispose() {},
  };
}

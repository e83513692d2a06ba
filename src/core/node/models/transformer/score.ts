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
import type { LikelihoodModel } from '../../evaluate/likelihoodModel';
import { parseTrainingPieces } from '../../evaluate/likelihoodModel';
import { TransformerEngine } from './engine';
import { loadTransformer } from './load';

/** Windows per forward pass. */
const BATCH = 16;

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
      // Window w covers inputs ids[s .. s+len) and scores targets s+from+1 .. s+len (from = 0 for the first).
      const starts: number[] = [];
      if (ids.length >= 2) for (let s = 0; ; s += half) {
        starts.push(s);
        if (s + L >= ids.length - 1) break;
      }
      for (let w0 = 0; w0 < starts.length; w0 += BATCH) {
        throwIfCancelled(run.signal);
        const group = starts.slice(w0, w0 + BATCH);
        // Each window as long as the piece allows; a batch holds windows of one length.
        for (const s of group) {
          const len = Math.min(L, ids.length - 1 - s);
          const x = new Int32Array(len);
          const y = new Int32Array(len);
          for (let i = 0; i < len; i++) {
            x[i] = ids[s + i]!;
            y[i] = ids[s + i + 1]!;
          }
          const f = engine.forward(x, y, 1, len);
          const from = s === 0 ? 0 : L - half;
          for (let i = from; i < len; i++) {
            const p = f.probs[i * V + y[i]!]!;
            sumNats -= Math.log(Math.max(PROBABILITY_FLOOR, p));
            targets++;
          }
        }
      }
      return { sumNats, targets };
    },
    dispose() {},
  };
}

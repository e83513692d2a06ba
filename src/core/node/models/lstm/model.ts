/**
 * `loadLstmModel(dir)`: a trained model folder, ready to predict the next token. Generation
 * and the app call this; the ONNX exporter reads the same folder.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../../../common/errors';
import type { LstmArchitecture } from '../../../common/models/lstm';
import type { Vocabulary } from '../../../common/tokenize/types';
import type { BackendRequest } from '../../tensor/backend';
import { selectTensorBackend } from '../../tensor/backend';
import type { LstmModelConfig } from './config';
import { readLstmConfig } from './config';
import { BiLstmEngine } from './engine';
import type { LstmWeights } from './weights';
import { readLstmWeights } from './weights';

/** A loaded LSTM model. */
export interface LstmModel {
  readonly architecture: LstmArchitecture;
  readonly vocab: Vocabulary;
  readonly config: LstmModelConfig;
  /** The weights by name, in `lstmWeightShapes` order (float32, also when stored as float16). */
  readonly weights: LstmWeights;
  /**
   * Next-token probabilities for windows of `architecture.window` token ids: a flat Int32Array
   * (windows back to back) or one array per window. Returns batch x vocabSize probabilities;
   * runs `batchSize` windows at a time.
   */
  predict(windows: Int32Array | number[][], batchSize?: number): Float32Array;
  /** Frees what the model holds; `predict` throws afterwards. */
  dispose(): void;
}

/** Checks that windows hold whole windows of valid ids, returning them flat. */
function flattenWindows(windows: Int32Array | number[][], a: LstmArchitecture): Int32Array {
  let flat: Int32Array;
  if (windows instanceof Int32Array) flat = windows;
  else {
    flat = new Int32Array(windows.length * a.window);
    windows.forEach((w, b) => {
      if (w.length !== a.window)
        throw new ModelError(`Window ${b} has ${w.length} tokens; this model reads windows of ${a.window}.`, {
          field: 'windows',
        });
      flat.set(w, b * a.window);
    });
  }
  if (flat.length % a.window !== 0)
    throw new ModelError(
      `The windows hold ${flat.length} ids, not a multiple of the model's window (${a.window}).`,
      {
        field: 'windows',
      },
    );
  for (let i = 0; i < flat.length; i++)
    if (!(flat[i]! >= 0 && flat[i]! < a.vocabSize))
      throw new ModelError(
        `Token id ${flat[i]!} is outside this model's vocabulary (0..${a.vocabSize - 1}).`,
        {
          field: 'windows',
        },
      );
  return flat;
}

/** Wraps weights already in memory as a model (used by training to score, and by `loadLstmModel`). */
export function lstmModelFromWeights(config: LstmModelConfig, weights: LstmWeights): LstmModel {
  const a = config.architecture;
  let engine: BiLstmEngine | undefined = new BiLstmEngine(a, weights);
  return {
    architecture: a,
    vocab: config.vocab,
    config,
    weights,
    predict(windows, batchSize = 64) {
      if (!engine) throw new ModelError('This LSTM model was disposed; load it again to predict.');
      const flat = flattenWindows(windows, a);
      const n = flat.length / a.window;
      const out = new Float32Array(n * a.vocabSize);
      const step = Math.max(1, Math.floor(batchSize));
      for (let start = 0; start < n; start += step) {
        const b = Math.min(step, n - start);
        // Inference only: the engine's matrix products dispose their tensors as they go.
        const probs = tf.tidy(
          () => engine!.forward(flat.subarray(start * a.window, (start + b) * a.window), b).probs,
        );
        out.set(probs, start * a.vocabSize);
      }
      return out;
    },
    dispose() {
      engine = undefined;
    },
  };
}

/**
 * Loads the model folder `dir` (config.json + weights.bin/json). Selects a tensor backend first
 * (`backend`, default the fastest available). Throws `ModelError` naming the file when the folder
 * is incomplete or inconsistent.
 */
export async function loadLstmModel(dir: string, backend: BackendRequest = 'auto'): Promise<LstmModel> {
  const config = await readLstmConfig(dir);
  const weights = await readLstmWeights(dir, config.architecture);
  await selectTensorBackend(backend);
  return lstmModelFromWeights(config, weights);
}

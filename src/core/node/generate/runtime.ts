/**
 * Which engine runs the model during generation. `onnx` (onnxruntime-node) is used when the
 * model folder has a current export; otherwise `tfjs` (the LSTM engineer's `loadLstmModel`).
 * `--runtime` overrides; forcing `onnx` on a folder without a current export builds one in
 * memory (milliseconds) without writing to the folder, which may be read-only.
 */
import type { PredictFn } from '../../common/generate/loop';
import path from 'node:path';
import type { LstmModelConfig } from '../models/lstm/config';
import { readLstmConfig } from '../models/lstm/config';
import { buildOnnxForModelFolder, ONNX_FILES, onnxExportStatus } from '../onnx/modelFolder';
import { openOnnxLstm } from '../onnx/session';

/** A runtime choice: a named engine, or `auto` (ONNX when a current export exists, else TF.js). */
export type RuntimeChoice = 'auto' | 'onnx' | 'tfjs';

/** An opened model, ready to predict. */
export interface LstmRuntime {
  /** The engine in use. */
  kind: 'onnx' | 'tfjs';
  /** The folder's config.json (architecture, vocabulary, tokenizer). */
  config: LstmModelConfig;
  /** How the ONNX graph was obtained: the folder's file, or built in memory because it was missing or stale. */
  onnxSource?: 'file' | 'memory';
  /** Next-token probabilities for a batch of windows. */
  predict: PredictFn;
  /** Frees native or tensor memory. */
  dispose(): Promise<void>;
}

/** Settings for opening a runtime. */
export interface RuntimeOptions {
  /** onnxruntime intra-op threads (default 1). */
  intraOpThreads?: number;
}

/** Opens the LSTM in `modelDir` on the chosen engine. Throws `ModelError` naming the folder or file. */
export async function openLstmRuntime(modelDir: string, choice: RuntimeChoice, options: RuntimeOptions = {}): Promise<LstmRuntime> {
  const status = choice === 'tfjs' ? 'missing' : await onnxExportStatus(modelDir);
  if (choice === 'onnx' || (choice === 'auto' && status === 'current')) {
    let config: LstmModelConfig;
    let source: string | Uint8Array;
    if (status === 'current') {
      config = await readLstmConfig(modelDir);
      source = path.join(modelDir, ONNX_FILES.model);
    } else {
      const built = await buildOnnxForModelFolder(modelDir);
      config = built.config;
      source = built.bytes;
    }
    const a = config.architecture;
    const session = await openOnnxLstm(source, a.window, a.vocabSize, { intraOpThreads: options.intraOpThreads });
    return {
      kind: 'onnx',
      config,
      onnxSource: typeof source === 'string' ? 'file' : 'memory',
      predict: (windows, batchSize) => session.predict(windows, batchSize),
      dispose: () => session.dispose(),
    };
  }
  // Imported here so the ONNX path never loads TF.js (about a second of start-up).
  const { loadLstmModel } = await import('../models/lstm/model');
  const model = await loadLstmModel(modelDir);
  return {
    kind: 'tfjs',
    config: model.config,
    predict: (windows, batchSize) => model.predict(windows, batchSize),
    dispose: async () => model.dispose(),
  };
}

/**
 * Which engine runs the model during generation.
 *
 * `auto` (the default) runs on onnxruntime-node: from the folder's `model.onnx` when it is a
 * current export of the folder's weights, else from a graph built in memory from those weights
 * (tens of milliseconds; nothing is written, the folder may be read-only). Only if onnxruntime
 * cannot run the model at all (no native binding for this platform, a refused graph) does it fall
 * back to TF.js (`loadLstmModel`), which is 10 to 30 times slower (docs/BENCHMARKS.md).
 * `onnx` and `tfjs` force an engine and fail rather than fall back.
 */
import path from 'node:path';
import type { PredictFn } from '../../common/generate/loop';
import type { LstmModelConfig } from '../models/lstm/config';
import { readLstmConfig } from '../models/lstm/config';
import { buildOnnxForModelFolder, ONNX_FILES, onnxExportStatus } from '../onnx/modelFolder';
import type { OnnxLstmSession } from '../onnx/session';
import { openOnnxLstm } from '../onnx/session';

/** A runtime choice: a named engine, or `auto` (ONNX, falling back to TF.js only if onnxruntime fails). */
export type RuntimeChoice = 'auto' | 'onnx' | 'tfjs';

/** An opened model, ready to predict. */
export interface LstmRuntime {
  /** The engine in use. */
  kind: 'onnx' | 'tfjs';
  /** The folder's config.json (architecture, vocabulary, tokenizer). */
  config: LstmModelConfig;
  /** Where the ONNX graph came from: the folder's current `model.onnx`, or built in memory. */
  onnxSource?: 'file' | 'memory';
  /** Why `auto` fell back to TF.js, when it did. */
  fallbackReason?: string;
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

async function openOnnx(modelDir: string, options: RuntimeOptions): Promise<LstmRuntime> {
  const sessionOptions = { intraOpThreads: options.intraOpThreads };
  let config: LstmModelConfig | undefined;
  let session: OnnxLstmSession | undefined;
  let source: 'file' | 'memory' = 'file';
  if ((await onnxExportStatus(modelDir)) === 'current') {
    config = await readLstmConfig(modelDir);
    const a = config.architecture;
    // A damaged file is not fatal: the weights beside it still make a good graph.
    session = await openOnnxLstm(path.join(modelDir, ONNX_FILES.model), a.window, a.vocabSize, sessionOptions).catch(() => undefined);
  }
  if (!session) {
    const built = await buildOnnxForModelFolder(modelDir);
    config = built.config;
    source = 'memory';
    session = await openOnnxLstm(built.bytes, config.architecture.window, config.architecture.vocabSize, sessionOptions);
  }
  const opened = session;
  return {
    kind: 'onnx',
    config: config!,
    onnxSource: source,
    predict: (windows, batchSize) => opened.predict(windows, batchSize),
    dispose: () => opened.dispose(),
  };
}

async function openTfjs(modelDir: string): Promise<LstmRuntime> {
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

/** Opens the LSTM in `modelDir` on the chosen engine. Throws `ModelError` naming the folder or file. */
export async function openLstmRuntime(modelDir: string, choice: RuntimeChoice, options: RuntimeOptions = {}): Promise<LstmRuntime> {
  if (choice === 'tfjs') return openTfjs(modelDir);
  if (choice === 'onnx') return openOnnx(modelDir, options);
  // The folder itself must be readable: its errors are the user's to see, not a reason to switch engines.
  await readLstmConfig(modelDir);
  try {
    return await openOnnx(modelDir, options);
  } catch (error) {
    const runtime = await openTfjs(modelDir);
    runtime.fallbackReason = (error as Error).message;
    return runtime;
  }
}

/**
 * Which engine runs the model during generation.
 *
 * `auto` (the default) runs on onnxruntime-node. Only if onnxruntime cannot run the model at all
 * (no native binding for this platform, a refused graph) does it fall back to TF.js
 * (`loadLstmModel`), which is 10 to 30 times slower (docs/BENCHMARKS.md). `onnx` and `tfjs` force
 * an engine and fail rather than fall back.
 *
 * On onnxruntime there are two engines with the same probabilities. `window` runs the folder's
 * exported `model.onnx` when it is current (else the same graph built in memory from the weights;
 * nothing is written, the folder may be read-only) on whole windows. `incremental`
 * (`incrementalSession.ts`) carries the first layer's forward chains from one event to the next;
 * its two graphs are built in memory from the weights. `planOnnx` picks the faster for a model.
 */
import path from 'node:path';
import type { PredictFn } from '../../common/generate/loop';
import type { LstmArchitecture } from '../../common/models/lstm';
import type { LstmModelConfig } from '../models/lstm/config';
import { readLstmConfig } from '../models/lstm/config';
import { readLstmWeights } from '../models/lstm/weights';
import { openIncrementalOnnxLstm } from '../onnx/incrementalSession';
import { buildOnnxForModelFolder, ONNX_FILES, onnxExportStatus } from '../onnx/modelFolder';
import type { OnnxLstmSession } from '../onnx/session';
import { machineHasSpareCore, openOnnxLstm } from '../onnx/session';

/** A runtime choice: a named engine, or `auto` (ONNX, falling back to TF.js only if onnxruntime fails). */
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];
/** The runtime choices, for checks and help texts. */
export const RUNTIME_CHOICES = ['auto', 'onnx', 'tfjs'] as const;

/** An opened model, ready to predict. */
export interface LstmRuntime {
  /** The engine in use. */
  kind: 'onnx' | 'tfjs';
  /** The folder's config.json (architecture, vocabulary, tokenizer). */
  config: LstmModelConfig;
  /** The ONNX engine, when the runtime is ONNX. */
  onnxEngine?: OnnxEngine;
  /** Where the `window` engine's graph came from: the folder's current `model.onnx`, or built in memory. */
  onnxSource?: 'file' | 'memory';
  /** onnxruntime threads per session, when the runtime is ONNX. */
  threads?: number;
  /** Why `auto` fell back to TF.js, when it did. */
  fallbackReason?: string;
  /** Next-token probabilities for a batch of windows. */
  predict: PredictFn;
  /** Frees native or tensor memory. */
  dispose(): Promise<void>;
}

/** How onnxruntime runs the model: incrementally over a sliding window (generation), or a whole window per call. */
export type OnnxEngine = (typeof ONNX_ENGINES)[number];
/** The onnxruntime engines, for checks and help texts. */
export const ONNX_ENGINES = ['incremental', 'window'] as const;

/** Settings for opening a runtime. */
export interface RuntimeOptions {
  /** onnxruntime threads per session (default: `planOnnx`). */
  threads?: number;
  /** ONNX engine (default: `planOnnx`). */
  engine?: OnnxEngine;
  /** Rows per model call the caller will make at most (default 1), for `planOnnx`'s memory bound. */
  rows?: number;
}

/** Most memory the incremental engine's chain outputs may take (window x window x units floats per row). */
const INCREMENTAL_MAX_BYTES = 256 * 2 ** 20;

/** Bytes of recurrent weights read per event (every step of both directions of every layer reads its layer's matrix). */
function recurrentBytes(a: LstmArchitecture): number {
  return a.lstmUnits.reduce((sum, h) => sum + 2 * 4 * h * h * 4, 0);
}

/**
 * The engine and threads that generate fastest for this architecture, from the measurements in
 * docs/BENCHMARKS.md ("Generation", 2-core machine, batch 1, three runs):
 * - `incremental` saves the first layer's forward chain (one of 2 x layers chains per event) at the
 *   cost of a second, small graph call. It won clearly where that chain is most of the work: a
 *   first layer of 512 units (`seed`: 1.3x to 1.8x in every run). For one small layer (`small`,
 *   the bundled 1 x 256) and for two layers of 192 the engines were within the machine's noise of
 *   each other. So: incremental for one layer or a first layer of 256 units or more, else window.
 * - Two threads paid where the recurrent matrices outgrow a core's cache (`seed`: 1.7x to 2.6x;
 *   1 x 256 and 2 x 192: 1.1x to 1.4x) and not where they do not (`small`, 0.5 MB: a loss or
 *   nothing). So: two threads from 1 MiB of recurrent weights, when a core is spare.
 * - The incremental engine keeps window x window x units floats per row (3.3 MB at the `seed`
 *   size), so above 256 MB for `rows` rows it gives way to the window engine.
 */
export function planOnnx(a: LstmArchitecture, rows = 1): { engine: OnnxEngine; threads: number } {
  const chainBytes = rows * a.window * a.window * a.lstmUnits[0]! * 4;
  const fits = chainBytes <= INCREMENTAL_MAX_BYTES;
  const engine: OnnxEngine = fits && (a.lstmUnits.length === 1 || a.lstmUnits[0]! >= 256) ? 'incremental' : 'window';
  const threads = recurrentBytes(a) >= 2 ** 20 && machineHasSpareCore() ? 2 : 1;
  return { engine, threads };
}

async function openIncremental(modelDir: string, config: LstmModelConfig, threads: number): Promise<LstmRuntime> {
  const session = await openIncrementalOnnxLstm(config.architecture, await readLstmWeights(modelDir, config.architecture), { intraOpThreads: threads });
  return {
    kind: 'onnx',
    config,
    onnxEngine: 'incremental',
    threads,
    predict: (windows, batchSize) => session.predict(windows, batchSize),
    dispose: () => session.dispose(),
  };
}

async function openOnnx(modelDir: string, options: RuntimeOptions, known?: LstmModelConfig): Promise<LstmRuntime> {
  let config = known ?? (await readLstmConfig(modelDir));
  const plan = planOnnx(config.architecture, options.rows);
  const threads = options.threads ?? plan.threads;
  if ((options.engine ?? plan.engine) === 'incremental') return openIncremental(modelDir, config, threads);
  const sessionOptions = { intraOpThreads: threads };
  let session: OnnxLstmSession | undefined;
  let source: 'file' | 'memory' = 'file';
  if ((await onnxExportStatus(modelDir)) === 'current') {
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
    config,
    onnxEngine: 'window',
    onnxSource: source,
    threads,
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
  const config = await readLstmConfig(modelDir);
  try {
    return await openOnnx(modelDir, options, config);
  } catch (error) {
    const runtime = await openTfjs(modelDir);
    runtime.fallbackReason = (error as Error).message;
    return runtime;
  }
}

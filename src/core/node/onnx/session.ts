/**
 * An onnxruntime-node session around an exported BiLSTM (`exportLstm.ts`): windows of token
 * ids in, next-token probabilities out, the same `predict` shape as the TF.js model.
 */
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { ModelError } from '../../common/errors';
import { ONNX_INPUT, ONNX_OUTPUT } from './exportLstm';

/** Session settings. */
export interface OnnxSessionOptions {
  /** Threads one operator may use (default 1). */
  intraOpThreads?: number;
}

/** onnxruntime-node, loaded on first use so a platform without its native binding can still fall back to TF.js. */
export async function loadOrt(): Promise<typeof Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    throw new ModelError(`onnxruntime-node cannot run on this machine: ${(error as Error).message.split('\n')[0]}.`, { cause: error });
  }
}

/**
 * Whether a second onnxruntime thread can have a core to itself: two cores or more, and a 1-minute
 * load average below the number of cores. On a saturated machine onnxruntime's spinning pool
 * threads cost more than they save (docs/BENCHMARKS.md, "Generation").
 */
export function machineHasSpareCore(): boolean {
  const cores = os.availableParallelism();
  return cores >= 2 && os.loadavg()[0]! < cores;
}

/** onnxruntime settings for one sequential session with `intraOpThreads` threads. */
export function sessionSettings(intraOpThreads = 1): Ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: intraOpThreads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };
}

/** Throws `ModelError` naming the field when `windows` is not `batchSize` windows of ids inside the vocabulary. */
export function checkWindows(windows: Int32Array, batchSize: number, window: number, vocabSize: number): void {
  if (windows.length !== batchSize * window)
    throw new ModelError(`The ONNX model reads windows of ${window} tokens, but got ${windows.length} ids for a batch of ${batchSize}.`, {
      field: 'windows',
    });
  for (const id of windows) if (id < 0 || id >= vocabSize) throw new ModelError(`Token id ${id} is outside the model's vocabulary of ${vocabSize}.`, { field: 'windows' });
}

/** A loaded ONNX BiLSTM. */
export interface OnnxLstmSession {
  /** Tokens per window the graph expects. */
  readonly window: number;
  /** Probabilities [batchSize, vocabSize] row-major for `windows` [batchSize, window] row-major. */
  predict(windows: Int32Array, batchSize: number): Promise<Float32Array>;
  /** Frees the native session. */
  dispose(): Promise<void>;
}

/** Opens an exported BiLSTM from a `.onnx` file path or its bytes; throws `ModelError` naming the file when onnxruntime refuses it. */
export async function openOnnxLstm(
  source: string | Uint8Array,
  window: number,
  vocabSize: number,
  options: OnnxSessionOptions = {},
): Promise<OnnxLstmSession> {
  const ort = await loadOrt();
  const sessionOptions = sessionSettings(options.intraOpThreads);
  const label = typeof source === 'string' ? source : 'the exported model';
  let session: Ort.InferenceSession;
  try {
    session =
      typeof source === 'string' ? await ort.InferenceSession.create(source, sessionOptions) : await ort.InferenceSession.create(source, sessionOptions);
  } catch (error) {
    throw new ModelError(`onnxruntime could not load ${label}: ${(error as Error).message.split('\n')[0]}.`, {
      path: typeof source === 'string' ? source : undefined,
      cause: error,
    });
  }
  let disposed = false;
  return {
    window,
    async predict(windows, batchSize) {
      if (disposed) throw new ModelError(`The ONNX session for ${label} was already closed.`);
      checkWindows(windows, batchSize, window, vocabSize);
      const input = new ort.Tensor('int32', windows, [batchSize, window]);
      const result = await session.run({ [ONNX_INPUT]: input });
      const out = result[ONNX_OUTPUT];
      if (!out || !(out.data instanceof Float32Array))
        throw new ModelError(`${label} did not return float32 "${ONNX_OUTPUT}"; it was not exported by Cadenza.`);
      input.dispose();
      const probs = out.data.slice();
      out.dispose();
      return probs;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}

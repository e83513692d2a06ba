/**
 * An onnxruntime-node session around an exported BiLSTM (`exportLstm.ts`): windows of token
 * ids in, next-token probabilities out, the same `predict` shape as the TF.js model.
 */
import type * as Ort from 'onnxruntime-node';
import { ModelError } from '../../common/errors';
import { ONNX_INPUT, ONNX_OUTPUT } from './exportLstm';

/** Session settings. */
export interface OnnxSessionOptions {
  /** Threads one operator may use (default 1). */
  intraOpThreads?: number;
  /**
   * Run independent nodes (the two directions of a graph exported with `splitDirections`) at once
   * on `interOpThreads` threads (default false). onnxruntime's pool threads spin while they wait,
   * so on a busy machine both this and more intra-op threads were several times slower than one
   * thread (bench/generate.bench.ts, docs/BENCHMARKS.md); one thread is the robust default.
   */
  parallel?: boolean;
  /** Threads for running nodes at once when `parallel` (default 2). */
  interOpThreads?: number;
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
  let ort: typeof Ort;
  try {
    // Loaded on first use, so a platform without the native binding can still fall back to TF.js.
    ort = await import('onnxruntime-node');
  } catch (error) {
    throw new ModelError(`onnxruntime-node cannot run on this machine: ${(error as Error).message.split('\n')[0]}.`, { cause: error });
  }
  const parallel = options.parallel ?? false;
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: parallel ? (options.interOpThreads ?? 2) : 1,
    graphOptimizationLevel: 'all',
    executionMode: parallel ? 'parallel' : 'sequential',
  };
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
      if (windows.length !== batchSize * window)
        throw new ModelError(`The ONNX model reads windows of ${window} tokens, but got ${windows.length} ids for a batch of ${batchSize}.`, {
          field: 'windows',
        });
      for (const id of windows)
        if (id < 0 || id >= vocabSize) throw new ModelError(`Token id ${id} is outside the model's vocabulary of ${vocabSize}.`, { field: 'windows' });
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

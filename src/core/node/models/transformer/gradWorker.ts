/**
 * A worker thread that computes Music Transformer gradients for its share of each batch (data
 * parallelism over `train/parallel.ts`, as the BiLSTM's `train/gradWorker.ts` does). Messages:
 * `init` once (the kernels, the pieces, the windows and the transposition tables), then `step`
 * per batch; every reply carries the request's `id`.
 */
import { parentPort } from 'node:worker_threads';
import type { TransformerArchitecture } from '../../../common/models/transformer';
import { Rng } from '../../../common/random';
import type { KernelRequest } from '../../tensor/kernels';
import { selectKernels } from '../../tensor/kernels';
import type { StepMessage, StepReply } from '../../train/gradWorker';
import type { TransformerWeights } from './engine';
import { TransformerEngine } from './engine';
import type { TrainingWindows } from './windows';
import { batchIds } from './windows';

/** Sent once. */
export interface TransformerInitMessage {
  type: 'init';
  id: number;
  names: string[];
  architecture: TransformerArchitecture;
  windows: TrainingWindows;
  /** The provider the main thread chose, so every share multiplies on the same one. */
  backend: KernelRequest;
  blasLibrary?: string;
}

let engine: TransformerEngine | undefined;
const weights: TransformerWeights = new Map();
let names: string[] = [];
let windows: TrainingWindows | undefined;

parentPort?.on('message', (msg: TransformerInitMessage | StepMessage) => {
  void (async () => {
    try {
      if (msg.type === 'init') {
        const choice = await selectKernels(
          msg.backend,
          msg.blasLibrary ? { blasLibrary: msg.blasLibrary } : {},
        );
        // Each share runs on its own thread: a native BLAS gets one thread per caller.
        choice.kernels.setThreads(1);
        names = msg.names;
        windows = msg.windows;
        for (const n of names) weights.set(n, new Float32Array(0));
        engine = new TransformerEngine(msg.architecture, weights, choice.kernels);
        parentPort!.postMessage({ id: msg.id, loss: 0, grads: [] } satisfies StepReply);
        return;
      }
      names.forEach((n, i) => weights.set(n, msg.weights[i]!));
      const L = engine!.architecture.seqLength;
      const count = msg.examples.length;
      const rng = new Rng(msg.dropoutSeed);
      const [x, y] = batchIds(windows!, msg.examples, 0, count, L, rng);
      const grads: TransformerWeights = new Map(
        names.map((n) => [n, new Float32Array(weights.get(n)!.length)]),
      );
      const f = engine!.forward(x, y, count, L, rng);
      engine!.backward(f, grads);
      const list = names.map((n) => grads.get(n)!);
      parentPort!.postMessage(
        { id: msg.id, loss: f.loss, grads: list } satisfies StepReply,
        list.map((g) => g.buffer as ArrayBuffer),
      );
    } catch (error) {
      parentPort!.postMessage({
        id: msg.id,
        loss: NaN,
        grads: [],
        error: (error as Error).message,
      } satisfies StepReply);
    }
  })();
});

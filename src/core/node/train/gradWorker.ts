/**
 * A worker thread that computes BiLSTM gradients for its share of each batch, so training can
 * use more than one core (data parallelism: the main thread averages the shares' gradients).
 * Messages: `init` once, then `step` per batch; every reply carries the request's `id`.
 */
import { parentPort } from 'node:worker_threads';
import type { LstmArchitecture } from '../../common/models/lstm';
import { Rng } from '../../common/random';
import { BiLstmEngine } from '../models/lstm/engine';
import type { LstmWeights } from '../models/lstm/weights';
import type { KernelRequest } from '../tensor/kernels';
import { selectKernels } from '../tensor/kernels';
import type { WindowSet } from './windows';
import { fillBatch } from './windows';

/** Sent once: the model's shape and the training examples. */
export interface InitMessage {
  type: 'init';
  id: number;
  architecture: LstmArchitecture;
  names: string[];
  train: WindowSet;
  /** The provider the main thread chose (so every share multiplies on the same one). */
  backend: KernelRequest;
  blasLibrary?: string;
}

/** Sent per step: current weights (in `names` order) and this worker's examples. */
export interface StepMessage {
  type: 'step';
  id: number;
  weights: Float32Array[];
  examples: Int32Array;
  dropoutSeed: number;
}

/** The reply to a step: mean loss over the worker's examples and its gradients (in `names` order). */
export interface StepReply {
  id: number;
  loss: number;
  grads: Float32Array[];
  error?: string;
}

let engine: BiLstmEngine | undefined;
let weights: LstmWeights = new Map();
let names: string[] = [];
let train: WindowSet | undefined;

parentPort?.on('message', (msg: InitMessage | StepMessage) => {
  void (async () => {
    try {
      if (msg.type === 'init') {
        const choice = await selectKernels(msg.backend, msg.blasLibrary ? { blasLibrary: msg.blasLibrary } : {});
        // Each share runs on its own thread: a native BLAS gets one thread per caller.
        choice.kernels.setThreads(1);
        names = msg.names;
        train = msg.train;
        const shapes = msg.names.map(() => new Float32Array(0));
        weights = new Map(msg.names.map((n, i) => [n, shapes[i]!]));
        engine = new BiLstmEngine(msg.architecture, weights);
        parentPort!.postMessage({ id: msg.id, loss: 0, grads: [] } satisfies StepReply);
        return;
      }
      names.forEach((n, i) => weights.set(n, msg.weights[i]!));
      const a = engine!.architecture;
      const count = msg.examples.length;
      const ids = new Int32Array(count * a.window);
      const targets = new Int32Array(count);
      fillBatch(train!, msg.examples, 0, count, ids, targets);
      const grads: LstmWeights = new Map(names.map((n) => [n, new Float32Array(weights.get(n)!.length)]));
      const loss = engine!.backward(engine!.forward(ids, count, new Rng(msg.dropoutSeed)), targets, grads);
      const list = names.map((n) => grads.get(n)!);
      parentPort!.postMessage(
        { id: msg.id, loss, grads: list } satisfies StepReply,
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

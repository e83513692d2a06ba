/**
 * The messages between `parallel.ts` and its gradient workers, and the loop every gradient worker
 * runs: `init` once (the kernels are chosen as the main thread chose them, one BLAS thread per
 * worker, and the model sets itself up), then `step` per batch (the current weights in, the share's
 * mean loss and gradients out); every reply carries the request's `id`. Each model's worker entry
 * (`train/gradWorker.ts`, `train/transformerGradWorker.ts`) only says how to set up and how to
 * compute one share.
 */
import { parentPort } from 'node:worker_threads';
import type { KernelRequest, Kernels } from '../tensor/kernels';
import { selectKernels } from '../tensor/kernels';

/** Sent once: the weight names, the provider, and what the model's worker needs besides. */
export interface InitMessage {
  type: 'init';
  id: number;
  names: string[];
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

/** Adds the gradient of the mean loss over `examples` into `grads` and returns that loss. */
export type ShareGradients = (examples: Int32Array, dropoutSeed: number, grads: Map<string, Float32Array>) => number;

/**
 * Serves `init` and `step` messages on this worker thread. `setup` gets the init message, the
 * chosen kernels and the weights map (updated in place before every step) and returns how to
 * compute one share.
 */
export function serveGradients<Init extends InitMessage>(
  setup: (msg: Init, kernels: Kernels, weights: Map<string, Float32Array>) => ShareGradients,
): void {
  let share: ShareGradients | undefined;
  let names: string[] = [];
  const weights = new Map<string, Float32Array>();
  parentPort?.on('message', (msg: Init | StepMessage) => {
    void (async () => {
      try {
        if (msg.type === 'init') {
          const choice = await selectKernels(msg.backend, msg.blasLibrary ? { blasLibrary: msg.blasLibrary } : {});
          // Each share runs on its own thread: a native BLAS gets one thread per caller.
          choice.kernels.setThreads(1);
          names = msg.names;
          for (const n of names) weights.set(n, new Float32Array(0));
          share = setup(msg, choice.kernels, weights);
          parentPort!.postMessage({ id: msg.id, loss: 0, grads: [] } satisfies StepReply);
          return;
        }
        names.forEach((n, i) => weights.set(n, msg.weights[i]!));
        const grads = new Map(names.map((n) => [n, new Float32Array(weights.get(n)!.length)]));
        const loss = share!(msg.examples, msg.dropoutSeed, grads);
        const list = names.map((n) => grads.get(n)!);
        parentPort!.postMessage({ id: msg.id, loss, grads: list } satisfies StepReply, list.map((g) => g.buffer as ArrayBuffer));
      } catch (error) {
        parentPort!.postMessage({ id: msg.id, loss: NaN, grads: [], error: (error as Error).message } satisfies StepReply);
      }
    })();
  });
}

/**
 * A worker thread that computes Music Transformer gradients for its share of each batch (data
 * parallelism over `train/parallel.ts`, as the BiLSTM's `train/gradWorker.ts` does; the messages
 * and their loop are `train/gradientProtocol.ts`'s). `init` carries the windows and the
 * transposition tables; each step's seed draws the share's transpositions, then its dropout.
 */
import type { TransformerArchitecture } from '../../common/models/transformer';
import { Rng } from '../../common/random';
import type { InitMessage } from './gradientProtocol';
import { serveGradients } from './gradientProtocol';
import { TransformerEngine } from '../models/transformer/engine';
import type { TrainingWindows } from './windows';
import { batchIds } from './windows';

/** Sent once. */
export interface TransformerInitMessage extends InitMessage {
  architecture: TransformerArchitecture;
  windows: TrainingWindows;
}

serveGradients<TransformerInitMessage>((msg, kernels, weights) => {
  const engine = new TransformerEngine(msg.architecture, weights, kernels);
  const L = msg.architecture.seqLength;
  return (examples, dropoutSeed, grads) => {
    const rng = new Rng(dropoutSeed);
    const [x, y] = batchIds(msg.windows, examples, 0, examples.length, L, rng);
    const f = engine.forward(x, y, examples.length, L, rng);
    engine.backward(f, grads);
    return f.loss;
  };
});

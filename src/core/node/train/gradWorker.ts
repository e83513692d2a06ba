/**
 * A worker thread that computes BiLSTM gradients for its share of each batch, so training can
 * use more than one core (data parallelism: the main thread averages the shares' gradients).
 * The messages and their loop are `gradientProtocol.ts`'s.
 */
import type { LstmArchitecture } from '../../common/models/lstm';
import { Rng } from '../../common/random';
import { BiLstmEngine } from '../models/lstm/engine';
import type { InitMessage } from './gradientProtocol';
import { serveGradients } from './gradientProtocol';
import type { WindowSet } from './windows';
import { fillBatch } from './windows';

/** Sent once: the model's shape and the training examples. */
export interface LstmInitMessage extends InitMessage {
  architecture: LstmArchitecture;
  train: WindowSet;
}

serveGradients<LstmInitMessage>((msg, kernels, weights) => {
  const engine = new BiLstmEngine(msg.architecture, weights, kernels);
  return (examples, dropoutSeed, grads) => {
    const count = examples.length;
    const ids = new Int32Array(count * msg.architecture.window);
    const targets = new Int32Array(count);
    fillBatch(msg.train, examples, 0, count, ids, targets);
    return engine.backward(engine.forward(ids, count, new Rng(dropoutSeed)), targets, grads);
  };
});

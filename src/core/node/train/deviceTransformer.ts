/**
 * The Music Transformer trained on a device (TF.js's webgpu backend): weights and Adam moments are
 * TF.js variables on the GPU, each step's forward, backward, clipping and update run there
 * (`MusicTransformer.loss` under `tf.variableGrads`, then `DeviceAdam`), and only the step's loss
 * is read back. Validation reads back two sums per run. The shared loop (`train/loop.ts`) pulls
 * weights and moments to the host only after validation (best weights, checkpoint) and on cancel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TransformerArchitecture } from '../../common/models/transformer';
import { Rng } from '../../common/random';
import { DeviceAdam } from './deviceAdam';
import type { DeviceTraining, Trainable, Validation } from './loop';
import type { OptimizerState } from './optimizer';
import { MusicTransformer } from '../models/transformer/model';
import type { TrainingWindows } from './windows';
import { batchIds } from './windows';

/** A Trainable whose model and optimizer live on the active TF.js backend. Call `dispose()` when done. */
export class DeviceTransformerTrainable implements Trainable, DeviceTraining {
  readonly trainExamples: number;
  readonly device: DeviceTraining = this;
  private readonly model: MusicTransformer;
  private readonly adam: DeviceAdam;

  constructor(
    readonly architecture: TransformerArchitecture,
    /** Host copies of the weights, in layout order: the start, and what `pull` refreshes. */
    readonly params: Map<string, Float32Array>,
    private readonly train: TrainingWindows,
    private readonly valid: TrainingWindows,
    private readonly batchSize: number,
  ) {
    const flat = new Float32Array([...params.values()].reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of params.values()) {
      flat.set(p, offset);
      offset += p.length;
    }
    this.model = MusicTransformer.fromFlat(architecture, flat);
    this.adam = new DeviceAdam(this.model.weights);
    this.trainExamples = train.starts.length;
  }

  /** The batch's ids on the device, and the seed left for dropout (as the CPU engine draws them). */
  private batch(order: Int32Array, start: number, count: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
    const rng = new Rng(seed);
    const L = this.architecture.seqLength;
    const [x, y] = batchIds(this.train, order, start, count, L, rng);
    this.model.reseedDropout(rng.int(2 ** 31));
    return { x: tf.tensor2d(x, [count, L], 'int32'), y: tf.tensor2d(y, [count, L], 'int32') };
  }

  /** Gradients by weight name, computed on the device. */
  private lossAndGrads(x: tf.Tensor2D, y: tf.Tensor2D): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const { value, grads } = tf.variableGrads(() => this.model.loss(x, y, true), this.model.variables());
    const byName: tf.NamedTensorMap = {};
    for (const [name, v] of this.model.weights) byName[name] = grads[v.name]!;
    return { value, grads: byName };
  }

  async step(order: Int32Array, start: number, count: number, seed: number, learningRate: number, clipNorm: number): Promise<number> {
    const { x, y } = this.batch(order, start, count, seed);
    const { value, grads } = this.lossAndGrads(x, y);
    this.adam.apply(grads, learningRate, clipNorm);
    const loss = (await value.data())[0]!;
    tf.dispose([x, y, value, ...Object.values(grads)]);
    return loss;
  }

  /** For the host optimizer (unused by the loop when `device` is set): the gradients, read back. */
  async gradients(order: Int32Array, start: number, count: number, grads: Map<string, Float32Array>, seed: number): Promise<number> {
    const { x, y } = this.batch(order, start, count, seed);
    const { value, grads: g } = this.lossAndGrads(x, y);
    for (const [name, t] of Object.entries(g)) {
      const into = grads.get(name)!;
      const data = (await t.data()) as Float32Array;
      for (let i = 0; i < into.length; i++) into[i]! += data[i]!;
    }
    const loss = (await value.data())[0]!;
    tf.dispose([x, y, value, ...Object.values(g)]);
    return loss;
  }

  /** Mean NLL per held-out event and top-1 accuracy, summed on the device and read back once. */
  async validate(signal?: AbortSignal): Promise<Validation> {
    const L = this.architecture.seqLength;
    const V = this.architecture.vocabSize;
    const n0 = this.valid.starts.length;
    const order = Int32Array.from({ length: n0 }, (_, i) => i);
    let nll: tf.Scalar = tf.scalar(0);
    let hits: tf.Scalar = tf.scalar(0);
    let targets = 0;
    for (let i = 0; i < n0 && !signal?.aborted; i += this.batchSize) {
      const count = Math.min(this.batchSize, n0 - i);
      const [xa, ya] = batchIds(this.valid, order, i, count, L);
      const [nextNll, nextHits] = tf.tidy(() => {
        const y = tf.tensor2d(ya, [count, L], 'int32');
        const logProbs = tf.logSoftmax(this.model.logits(tf.tensor2d(xa, [count, L], 'int32'), false), -1);
        const picked = tf.sum(tf.mul(logProbs, tf.oneHot(y, V)));
        const right = tf.sum(tf.cast(tf.equal(tf.argMax(logProbs, -1), y), 'float32'));
        return [tf.sub(nll, picked), tf.add(hits, right)] as tf.Scalar[];
      });
      tf.dispose([nll, hits]);
      nll = nextNll!;
      hits = nextHits!;
      targets += count * L;
      // Let the event loop run (a cancel's signal) between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const [sum, right] = [(await nll.data())[0]!, (await hits.data())[0]!];
    tf.dispose([nll, hits]);
    return { nll: targets ? sum / targets : NaN, accuracy: targets ? right / targets : 0, targets };
  }

  async pull(): Promise<OptimizerState> {
    for (const [name, v] of this.model.weights) this.params.get(name)!.set((await v.data()) as Float32Array);
    return this.adam.getState();
  }

  push(state: OptimizerState): void {
    for (const [name, v] of this.model.weights) tf.tidy(() => v.assign(tf.tensor(this.params.get(name)!, v.shape)));
    this.adam.setState(state);
  }

  /** Frees the model and the optimizer's moments. */
  dispose(): void {
    this.adam.dispose();
    this.model.dispose();
  }
}

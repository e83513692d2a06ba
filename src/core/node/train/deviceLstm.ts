/**
 * The windowed BiLSTM trained on a device (TF.js's webgpu backend), as the transformer's
 * `deviceTransformer.ts`: weights and optimizer moments are variables on the GPU, each step's forward
 * (`lstmLogits`, the reference's ops), backward, clipping and update run there, and only the loss
 * is read back; the shared loop pulls weights and moments to the host after validation and on cancel.
 */
import * as tf from '@tensorflow/tfjs';
import type { LstmArchitecture } from '../../common/models/lstm';
import { lstmWeightShapes } from '../../common/models/lstm';
import { Rng } from '../../common/random';
import { DeviceAdam } from './deviceAdam';
import type { DeviceTraining, Trainable, Validation } from './loop';
import type { OptimizerKind, OptimizerState } from './optimizer';
import type { WindowSet } from './windows';
import { fillBatch } from './windows';
import { lstmLogits } from '../models/lstm/reference';
import type { LstmWeights } from '../models/lstm/weights';

/** A Trainable whose BiLSTM and optimizer live on the active TF.js backend. Call `dispose()` when done. */
export class DeviceLstmTrainable implements Trainable, DeviceTraining {
  readonly trainExamples: number;
  readonly device: DeviceTraining = this;
  private readonly vars: Map<string, tf.Variable>;
  private readonly adam: DeviceAdam;

  constructor(
    readonly architecture: LstmArchitecture,
    /** Host copies of the weights: the start, and what `pull` refreshes. */
    readonly params: LstmWeights,
    private readonly train: WindowSet,
    private readonly valid: WindowSet,
    private readonly batchSize: number,
    optimizer: OptimizerKind,
  ) {
    this.vars = new Map(
      lstmWeightShapes(architecture).map(([name, shape]) => {
        const t = tf.tensor(params.get(name)!, shape);
        const v = tf.variable(t, true);
        t.dispose();
        return [name, v];
      }),
    );
    this.adam = new DeviceAdam(this.vars, optimizer);
    this.trainExamples = train.offsets.length;
  }

  private lossAndGrads(order: Int32Array, start: number, count: number, seed: number): { value: tf.Scalar; grads: tf.NamedTensorMap; inputs: tf.Tensor[] } {
    const w = this.architecture.window;
    const ids = new Int32Array(count * w);
    const targets = new Int32Array(count);
    fillBatch(this.train, order, start, count, ids, targets);
    const x = tf.tensor2d(ids, [count, w], 'int32');
    const y = tf.tensor1d(targets, 'int32');
    const rate = this.architecture.dropout;
    const rng = new Rng(seed);
    const dropout = rate > 0 ? (t: tf.Tensor2D): tf.Tensor2D => tf.dropout(t, rate, undefined, rng.int(2 ** 31)) as tf.Tensor2D : undefined;
    const f = (): tf.Scalar =>
      tf.tidy(() => {
        const logProbs = tf.logSoftmax(lstmLogits(this.architecture, this.vars, x, dropout), -1);
        return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, tf.oneHot(y, this.architecture.vocabSize)), -1))) as tf.Scalar;
      });
    const { value, grads } = tf.variableGrads(f, [...this.vars.values()]);
    const byName: tf.NamedTensorMap = {};
    for (const [name, v] of this.vars) byName[name] = grads[v.name]!;
    return { value, grads: byName, inputs: [x, y] };
  }

  async step(order: Int32Array, start: number, count: number, seed: number, learningRate: number, clipNorm: number): Promise<number> {
    const { value, grads, inputs } = this.lossAndGrads(order, start, count, seed);
    this.adam.apply(grads, learningRate, clipNorm);
    const loss = (await value.data())[0]!;
    tf.dispose([value, ...inputs, ...Object.values(grads)]);
    return loss;
  }

  /** For the host optimizer (unused by the loop when `device` is set): the gradients, read back. */
  async gradients(order: Int32Array, start: number, count: number, grads: LstmWeights, seed: number): Promise<number> {
    const { value, grads: g, inputs } = this.lossAndGrads(order, start, count, seed);
    for (const [name, t] of Object.entries(g)) {
      const into = grads.get(name)!;
      const data = (await t.data()) as Float32Array;
      for (let i = 0; i < into.length; i++) into[i]! += data[i]!;
    }
    const loss = (await value.data())[0]!;
    tf.dispose([value, ...inputs, ...Object.values(g)]);
    return loss;
  }

  /** Mean NLL per held-out target and top-1 accuracy, summed on the device and read back once. */
  async validate(signal?: AbortSignal): Promise<Validation> {
    const w = this.architecture.window;
    const n = this.valid.offsets.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const batch = Math.max(this.batchSize, 128);
    let nll: tf.Scalar = tf.scalar(0);
    let hits: tf.Scalar = tf.scalar(0);
    for (let start = 0; start < n && !signal?.aborted; start += batch) {
      const count = Math.min(batch, n - start);
      const ids = new Int32Array(count * w);
      const targets = new Int32Array(count);
      fillBatch(this.valid, order, start, count, ids, targets);
      const [nextNll, nextHits] = tf.tidy(() => {
        const y = tf.tensor1d(targets, 'int32');
        const logProbs = tf.logSoftmax(lstmLogits(this.architecture, this.vars, tf.tensor2d(ids, [count, w], 'int32')), -1);
        const picked = tf.sum(tf.mul(logProbs, tf.oneHot(y, this.architecture.vocabSize)));
        const right = tf.sum(tf.cast(tf.equal(tf.argMax(logProbs, -1), y), 'float32'));
        return [tf.sub(nll, picked), tf.add(hits, right)] as tf.Scalar[];
      });
      tf.dispose([nll, hits]);
      nll = nextNll!;
      hits = nextHits!;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const [sum, right] = [(await nll.data())[0]!, (await hits.data())[0]!];
    tf.dispose([nll, hits]);
    return { nll: sum / Math.max(1, n), accuracy: right / Math.max(1, n), targets: n };
  }

  async pull(): Promise<OptimizerState> {
    for (const [name, v] of this.vars) this.params.get(name)!.set((await v.data()) as Float32Array);
    return this.adam.getState();
  }

  push(state: OptimizerState): void {
    for (const [name, v] of this.vars) tf.tidy(() => v.assign(tf.tensor(this.params.get(name)!, v.shape)));
    this.adam.setState(state);
  }

  /** Frees the weights and the optimizer's moments. */
  dispose(): void {
    this.adam.dispose();
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

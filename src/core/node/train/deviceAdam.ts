/**
 * Adam and gradient clipping on TF.js variables, for a training step that stays on the device
 * (the webgpu backend): the same update rule, constants and clipping as `optimizer.ts`, so a run on
 * the GPU follows the host optimizer's curve within float tolerance. Its state moves to and from
 * the host only for checkpoints (`OptimizerState`).
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../../common/errors';
import type { OptimizerKind, OptimizerState } from './optimizer';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/** Adam (or Adamax) over named variables, its moments on the device. Call `dispose()` when done. */
export class DeviceAdam {
  private step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly vars: Map<string, tf.Variable>,
    private readonly kind: OptimizerKind = 'adam',
  ) {
    const zeroVariable = (w: tf.Variable): tf.Variable => {
      // A variable keeps its initial tensor's data but not the tensor: free that one.
      const zero = tf.zerosLike(w);
      const v = tf.variable(zero, false);
      zero.dispose();
      return v;
    };
    for (const [name, w] of vars) {
      this.m.set(name, zeroVariable(w));
      this.v.set(name, zeroVariable(w));
    }
  }

  /**
   * Clips `grads` to a global L2 norm of at most `clipNorm` (as `clipGradients`), then applies one
   * Adam update at learning rate `lr`. Nothing is read back.
   */
  apply(grads: tf.NamedTensorMap, lr: number, clipNorm: number): void {
    this.step++;
    const c1 = 1 - BETA1 ** this.step;
    const c2 = 1 - BETA2 ** this.step;
    const stepSize = this.kind === 'adam' ? (lr * Math.sqrt(c2)) / c1 : lr / c1;
    tf.tidy(() => {
      const squares = [...this.vars.keys()].map((name) => tf.sum(tf.square(grads[name]!)));
      // Pairwise sums, not addN: its one program binds every input, past some adapters' limits.
      const norm = tf.sqrt(squares.reduce((a, b) => tf.add(a, b)));
      // scale = maxNorm / norm where norm > maxNorm, else 1: no branch, so no read-back.
      const scale = clipNorm > 0 ? tf.minimum(1, tf.div(clipNorm, tf.maximum(norm, 1e-30))) : tf.scalar(1);
      for (const [name, w] of this.vars) {
        const g = tf.mul(grads[name]!, scale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m1 = tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1));
        // Adam: second moments; Adamax: infinity norms.
        const v1 = this.kind === 'adam' ? tf.add(tf.mul(v, BETA2), tf.mul(tf.square(g), 1 - BETA2)) : tf.maximum(tf.mul(v, BETA2), tf.abs(g));
        m.assign(m1);
        v.assign(v1);
        const denominator = this.kind === 'adam' ? tf.add(tf.sqrt(v1), EPSILON) : tf.add(v1, EPSILON);
        w.assign(tf.sub(w, tf.div(tf.mul(m1, stepSize), denominator)));
      }
    });
  }

  /** The state as host arrays, for a checkpoint. */
  async getState(): Promise<OptimizerState> {
    const read = async (group: Map<string, tf.Variable>): Promise<Map<string, Float32Array>> => {
      const out = new Map<string, Float32Array>();
      for (const [name, t] of group) out.set(name, (await t.data()) as Float32Array);
      return out;
    };
    return { kind: this.kind, step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  /** Restores a checkpoint's state (names and sizes must match the variables). */
  setState(state: OptimizerState): void {
    if (state.kind !== this.kind) throw new ModelError(`The checkpoint's optimizer is ${state.kind}, not ${this.kind}.`, { field: 'optimizer' });
    this.step = state.step;
    for (const [group, saved] of [
      [this.m, state.m],
      [this.v, state.v],
    ] as const)
      for (const [name, t] of group) {
        const a = saved.get(name);
        if (!a || a.length !== t.size) throw new ModelError(`The checkpoint's optimizer state does not match the weight "${name}".`, { field: name });
        tf.tidy(() => t.assign(tf.tensor(a, t.shape)));
      }
  }

  /** Frees the moments. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

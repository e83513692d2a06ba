/**
 * Adam and Adamax over named Float32Array parameters, with their state exposed so a checkpoint
 * can store it and a resumed run continue bit for bit. Any model whose weights are a
 * `Map<string, Float32Array>` can use it (the LSTM now, the Transformer's engine later).
 */

/** Which update rule. */
export type OptimizerKind = 'adam' | 'adamax';

/** Optimizer state, for checkpoints. */
export interface OptimizerState {
  kind: OptimizerKind;
  /** Updates applied so far (Adam's bias correction needs it). */
  step: number;
  /** First moments by parameter name. */
  m: Map<string, Float32Array>;
  /** Second moments (Adam) or infinity norms (Adamax) by parameter name. */
  v: Map<string, Float32Array>;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/** Adam / Adamax (Kingma & Ba 2015, with Keras's epsilon), updating parameters in place. */
export class Optimizer {
  private state: OptimizerState;

  constructor(kind: OptimizerKind, params: Map<string, Float32Array>) {
    this.state = {
      kind,
      step: 0,
      m: new Map([...params].map(([k, p]) => [k, new Float32Array(p.length)])),
      v: new Map([...params].map(([k, p]) => [k, new Float32Array(p.length)])),
    };
  }

  /** Updates applied so far. */
  get step(): number {
    return this.state.step;
  }

  /** Applies one update with `grads` at learning rate `lr`. */
  apply(params: Map<string, Float32Array>, grads: Map<string, Float32Array>, lr: number): void {
    const s = this.state;
    s.step++;
    const c1 = 1 - BETA1 ** s.step;
    const c2 = 1 - BETA2 ** s.step;
    for (const [name, p] of params) {
      const g = grads.get(name)!;
      const m = s.m.get(name)!;
      const v = s.v.get(name)!;
      if (s.kind === 'adam') {
        const stepSize = (lr * Math.sqrt(c2)) / c1;
        for (let i = 0; i < p.length; i++) {
          const gi = g[i]!;
          const mi = (m[i] = BETA1 * m[i]! + (1 - BETA1) * gi);
          const vi = (v[i] = BETA2 * v[i]! + (1 - BETA2) * gi * gi);
          p[i]! -= (stepSize * mi) / (Math.sqrt(vi) + EPSILON);
        }
      } else {
        const stepSize = lr / c1;
        for (let i = 0; i < p.length; i++) {
          const gi = g[i]!;
          const mi = (m[i] = BETA1 * m[i]! + (1 - BETA1) * gi);
          const ui = (v[i] = Math.max(BETA2 * v[i]!, Math.abs(gi)));
          p[i]! -= (stepSize * mi) / (ui + EPSILON);
        }
      }
    }
  }

  /** A copy of the state, for a checkpoint. */
  getState(): OptimizerState {
    const s = this.state;
    return {
      kind: s.kind,
      step: s.step,
      m: new Map([...s.m].map(([k, a]) => [k, a.slice()])),
      v: new Map([...s.v].map(([k, a]) => [k, a.slice()])),
    };
  }

  /** Restores a state saved with `getState` (the caller checks names and sizes match). */
  setState(state: OptimizerState): void {
    this.state = {
      kind: state.kind,
      step: state.step,
      m: new Map([...state.m].map(([k, a]) => [k, a.slice()])),
      v: new Map([...state.v].map(([k, a]) => [k, a.slice()])),
    };
  }
}

/** Scales `grads` in place so their global L2 norm is at most `maxNorm`; returns the norm before. */
export function clipGradients(grads: Map<string, Float32Array>, maxNorm: number): number {
  let sum = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  const norm = Math.sqrt(sum);
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / norm;
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i]! *= scale;
  }
  return norm;
}

/**
 * The learning rate at `step` of `totalSteps`: a linear warm-up over `warmupSteps` (default none),
 * then constant, or cosine decay from `base` to 10% of it by the last step.
 */
export function learningRateAt(
  schedule: 'constant' | 'cosine',
  base: number,
  step: number,
  totalSteps: number,
  warmupSteps = 0,
): number {
  if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  if (schedule === 'constant' || totalSteps <= 1) return base;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - 1 - warmupSteps));
  return base * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

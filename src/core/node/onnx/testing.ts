/**
 * Test support for the ONNX graphs: random weights in the contract's layout and an independent
 * float64 forward pass to check every graph against.
 */
import type { LstmArchitecture } from '../../common/models/lstm';
import { lstmWeightShapes } from '../../common/models/lstm';
import { Rng } from '../../common/random';
import type { LstmWeights } from './exportLstm';

/** Random weights in the contract's layout, scaled so activations stay in the interesting range. */
export function randomWeights(a: LstmArchitecture, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of lstmWeightShapes(a)) {
    const w = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * 0.8;
    out.set(name, w);
  }
  return out;
}

/**
 * An independent float64 forward pass written straight from the contract in lstm.ts
 * (Keras gate order i, f, c, o; final states h_fwd at T-1 and h_bwd at 0): the oracle.
 */
export function referenceForward(a: LstmArchitecture, weights: LstmWeights, ids: number[]): number[] {
  const w = (n: string): Float32Array => weights.get(n)!;
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  let seq: number[][] = ids.map((id) => {
    if (a.floatInput) return [id / a.vocabSize];
    if (a.embedding > 0) return Array.from(w('embedding').subarray(id * a.embedding, (id + 1) * a.embedding));
    const oneHot = new Array<number>(a.vocabSize).fill(0);
    oneHot[id] = 1;
    return oneHot;
  });
  let final: number[] = [];
  a.lstmUnits.forEach((h, l) => {
    const run = (dir: 'fwd' | 'bwd'): number[][] => {
      const K = w(`lstm${l}_${dir}_kernel`);
      const R = w(`lstm${l}_${dir}_recurrent`);
      const b = w(`lstm${l}_${dir}_bias`);
      const inW = seq[0]!.length;
      let hs = new Array<number>(h).fill(0);
      let cs = new Array<number>(h).fill(0);
      const outs: number[][] = new Array(seq.length);
      const order = dir === 'fwd' ? seq.map((_, t) => t) : seq.map((_, t) => seq.length - 1 - t);
      for (const t of order) {
        const z = new Array<number>(4 * h).fill(0);
        for (let c = 0; c < 4 * h; c++) {
          let s = b[c]!;
          for (let k = 0; k < inW; k++) s += seq[t]![k]! * K[k * 4 * h + c]!;
          for (let k = 0; k < h; k++) s += hs[k]! * R[k * 4 * h + c]!;
          z[c] = s;
        }
        const nh = new Array<number>(h);
        const nc = new Array<number>(h);
        for (let j = 0; j < h; j++) {
          const i = sig(z[j]!);
          const f = sig(z[h + j]!);
          const g = Math.tanh(z[2 * h + j]!);
          const o = sig(z[3 * h + j]!);
          nc[j] = f * cs[j]! + i * g;
          nh[j] = o * Math.tanh(nc[j]!);
        }
        hs = nh;
        cs = nc;
        outs[t] = nh;
      }
      return outs;
    };
    const fwd = run('fwd');
    const bwd = run('bwd');
    if (l < a.lstmUnits.length - 1) seq = fwd.map((v, t) => [...v, ...bwd[t]!]);
    else final = [...fwd[seq.length - 1]!, ...bwd[0]!];
  });
  const dense = (input: number[], kernel: Float32Array, bias: Float32Array, outW: number): number[] =>
    Array.from({ length: outW }, (_, j) => input.reduce((s, v, k) => s + v * kernel[k * outW + j]!, bias[j]!));
  const hidden = dense(final, w('dense_kernel'), w('dense_bias'), a.denseUnits).map((v) => Math.max(0, v));
  const logits = dense(hidden, w('output_kernel'), w('output_bias'), a.vocabSize);
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / sum);
}


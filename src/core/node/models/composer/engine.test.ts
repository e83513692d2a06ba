import { describe, expect, it } from 'vitest';
import type { ComposerArchitecture } from '../../../common/models/composer';
import { Rng } from '../../../common/random';
import { blas, jsSgemm } from '../../tensor/blas';
import { JsWorkspace, SimdWorkspace } from '../../tensor/elementwise';
import type { ComposerChunk } from './engine';
import { ComposerEngine } from './engine';
import { initComposerWeights, zerosLike } from './weights';

const arch: ComposerArchitecture = { kind: 'composer', vocabSize: 7, forwardUnits: [5, 4], backwardUnits: 3, lookback: 3, dropout: 0 };

function chunk(rng: Rng, B: number, T: number): ComposerChunk {
  const K = arch.lookback;
  const pick = (): number => rng.int(arch.vocabSize + 1);
  return {
    batch: B,
    steps: T,
    inputs: Int32Array.from({ length: B * T }, pick),
    history: Int32Array.from({ length: (K - 1) * B }, pick),
    targets: Int32Array.from({ length: B * T }, (_, i) => (i % 5 === 4 ? -1 : rng.int(arch.vocabSize))),
  };
}

/** Float64 reference of the loss, written from the contract's formulas one position at a time. */
function referenceLoss(w: Map<string, Float32Array>, c: ComposerChunk, h0: Float64Array[][], c0: Float64Array[][]): number {
  const V = arch.vocabSize;
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));
  const cell = (z: number[], cp: number[], H: number): [number[], number[]] => {
    const h: number[] = [];
    const cc: number[] = [];
    for (let u = 0; u < H; u++) {
      const ci = sig(z[u]!) * Math.tanh(z[2 * H + u]!) + sig(z[H + u]!) * cp[u]!;
      cc.push(ci);
      h.push(sig(z[3 * H + u]!) * Math.tanh(ci));
    }
    return [h, cc];
  };
  let loss = 0;
  let count = 0;
  for (let b = 0; b < c.batch; b++) {
    const hs = arch.forwardUnits.map((_, l) => Array.from(h0[l]![b]!));
    const cs = arch.forwardUnits.map((_, l) => Array.from(c0[l]![b]!));
    for (let t = 0; t < c.steps; t++) {
      let x: number[] = [];
      const id = c.inputs[t * c.batch + b]!;
      arch.forwardUnits.forEach((H, l) => {
        const G = 4 * H;
        const z = Array.from({ length: G }, (_, k) => {
          let s = w.get(`fwd${l}_bias`)![k]!;
          if (l === 0) s += w.get('fwd0_input')![id * G + k]!;
          else x.forEach((xv, i) => (s += xv * w.get(`fwd${l}_kernel`)![i * G + k]!));
          hs[l]!.forEach((hv, i) => (s += hv * w.get(`fwd${l}_recurrent`)![i * G + k]!));
          return s;
        });
        const [h, cc] = cell(z, cs[l]!, H);
        hs[l] = h;
        cs[l] = cc;
        x = h;
      });
      const Hb = arch.backwardUnits;
      let hb = new Array<number>(Hb).fill(0);
      let cb = new Array<number>(Hb).fill(0);
      for (let j = 0; j < arch.lookback; j++) {
        const p = t - j;
        const bid = p >= 0 ? c.inputs[p * c.batch + b]! : p >= -(arch.lookback - 1) ? c.history[(arch.lookback - 1 + p) * c.batch + b]! : V;
        const z = Array.from({ length: 4 * Hb }, (_, k) => {
          let s = w.get('bwd_bias')![k]! + w.get('bwd_input')![bid * 4 * Hb + k]!;
          hb.forEach((hv, i) => (s += hv * w.get('bwd_recurrent')![i * 4 * Hb + k]!));
          return s;
        });
        [hb, cb] = cell(z, cb, Hb);
      }
      const feat = [...x, ...hb];
      const logits = Array.from({ length: V }, (_, v) => feat.reduce((s, fv, i) => s + fv * w.get('out_kernel')![i * V + v]!, w.get('out_bias')![v]!));
      const target = c.targets[t * c.batch + b]!;
      if (target < 0) continue;
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
      loss += lse - logits[target]!;
      count++;
    }
  }
  return loss / count;
}

describe('ComposerEngine', () => {
  const rng = new Rng(3);
  const w = initComposerWeights(arch, 5);
  for (const v of w.values()) for (let i = 0; i < v.length; i++) v[i]! += (rng.next() - 0.5) * 0.4;
  const c = chunk(rng, 3, 6);
  const state = { h: arch.forwardUnits.map((H) => Float32Array.from({ length: 3 * H }, () => rng.next() - 0.5)), c: arch.forwardUnits.map((H) => Float32Array.from({ length: 3 * H }, () => rng.next() - 0.5)) };
  const split = (a: Float32Array, H: number): Float64Array[] => [0, 1, 2].map((b) => Float64Array.from(a.subarray(b * H, b * H + H)));
  const h0 = state.h.map((a, l) => split(a, arch.forwardUnits[l]!));
  const c0 = state.c.map((a, l) => split(a, arch.forwardUnits[l]!));

  it('computes the loss of the contract (float64 reference), with BLAS and with the TypeScript kernels', () => {
    const ref = referenceLoss(w, c, h0, c0);
    for (const sgemm of [blas().sgemm, jsSgemm]) {
      const f = new ComposerEngine(arch, w, sgemm).forward(c, state);
      expect(f.lossSum / f.count).toBeCloseTo(ref, 5);
    }
  });

  it('has gradients that match finite differences of the reference loss', () => {
    const engine = new ComposerEngine(arch, w, jsSgemm);
    const grads = zerosLike(w);
    engine.backward(engine.forward(c, state), grads);
    const eps = 1e-3;
    let checked = 0;
    for (const [name, param] of w) {
      for (const i of [0, Math.floor(param.length / 2), param.length - 1]) {
        const keep = param[i]!;
        param[i] = keep + eps;
        const up = referenceLoss(w, c, h0, c0);
        param[i] = keep - eps;
        const down = referenceLoss(w, c, h0, c0);
        param[i] = keep;
        const numeric = (up - down) / (2 * eps);
        const analytic = grads.get(name)![i]!;
        expect(Math.abs(numeric - analytic), `${name}[${i}]`).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
        checked++;
      }
    }
    expect(checked).toBe(w.size * 3);
  });

  it('carries the state: two chunks equal one long chunk', () => {
    const engine = new ComposerEngine(arch, w, blas().sgemm);
    const T = 8;
    const whole = chunk(new Rng(9), 2, T);
    const zero = engine.zeroState(2);
    const one = engine.forward(whole, zero);
    const K = arch.lookback;
    const first: ComposerChunk = { batch: 2, steps: 4, inputs: whole.inputs.slice(0, 8), history: whole.history, targets: whole.targets.slice(0, 8) };
    const f1 = engine.forward(first, zero);
    const second: ComposerChunk = { batch: 2, steps: 4, inputs: whole.inputs.slice(8), history: whole.inputs.slice(8 - (K - 1) * 2, 8), targets: whole.targets.slice(8) };
    const f2 = engine.forward(second, f1.state);
    expect((f1.lossSum + f2.lossSum) / (f1.count + f2.count)).toBeCloseTo(one.lossSum / one.count, 5);
  });
  it('gives the same loss and gradients on the WebAssembly SIMD and the TypeScript element-wise kernels (dropout on)', () => {
    const dropped = { ...arch, dropout: 0.3 };
    const runs = [new SimdWorkspace(), new JsWorkspace()].map((ws) => {
      const engine = new ComposerEngine(dropped, w, jsSgemm, ws);
      const grads = zerosLike(w);
      const f = engine.forward(c, state, new Rng(5));
      return { loss: engine.backward(f, grads), grads, probs: f.probs, state: f.state };
    });
    const [simd, js] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(simd.loss).toBeCloseTo(js.loss, 6);
    for (let i = 0; i < js.probs.length; i++) expect(simd.probs[i]).toBeCloseTo(js.probs[i]!, 6);
    for (const [name, gj] of js.grads) {
      const gs = simd.grads.get(name)!;
      for (let i = 0; i < gj.length; i++)
        expect(Math.abs(gs[i]! - gj[i]!), `${name}[${i}]`).toBeLessThan(1e-6 + 1e-5 * Math.abs(gj[i]!));
    }
  });

  it('refuses a backward pass whose forward pass a later one has overwritten', () => {
    const engine = new ComposerEngine(arch, w, jsSgemm);
    const first = engine.forward(c, state);
    const second = engine.forward(c, state);
    expect(() => engine.backward(first, zerosLike(w))).toThrow(/latest forward pass/);
    expect(engine.backward(second, zerosLike(w))).toBeCloseTo(second.lossSum / second.count, 10);
  });
});

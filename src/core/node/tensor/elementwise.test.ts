import { describe, expect, it } from 'vitest';
import { Rng } from '../../common/random';
import type { CellBackwardArgs, CellForwardArgs, Workspace } from './elementwise';
import { chooseElementwise, elementwise, JsWorkspace, SimdWorkspace } from './elementwise';

const rng = new Rng(11);
/** Normal-ish values of scale `s`; with `outliers`, every 17th is pushed out to |x| of 20 to 1000. */
function values(n: number, s = 2, outliers = true): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const v = (rng.next() + rng.next() + rng.next() - 1.5) * 2 * s;
    return outliers && i % 17 === 5 ? Math.sign(v || 1) * (20 + rng.next() * 980) : v;
  });
}
const ids = (n: number, rows: number): Int32Array => Int32Array.from({ length: n }, () => rng.int(rows));

/** Largest |a - b| / max(1, |b|). */
function worst(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    expect(Number.isNaN(a[i]!)).toBe(Number.isNaN(b[i]!));
    if (!Number.isNaN(b[i]!)) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return w;
}

const simd = new SimdWorkspace();
const js = new JsWorkspace();
simd.frame();

/** The same arrays for both providers: in the wasm workspace's memory, or outside it. */
function twins<T extends Record<string, Float32Array | Int32Array | undefined>>(
  arrays: T,
  resident: boolean,
): [T, T] {
  const inside = Object.fromEntries(
    Object.entries(arrays).map(([k, v]) => [k, v && resident ? simd.copy(v) : v?.slice()]),
  ) as T;
  const outside = Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, v?.slice()])) as T;
  return [inside, outside];
}

describe('WebAssembly SIMD element-wise kernels', () => {
  it('is the provider chosen here (Node 20 runs wasm SIMD), and the TypeScript one when asked', () => {
    const forcedOff = process.env.CADENZA_SIMD === '0' || process.env.CADENZA_KERNELS === 'js';
    expect(elementwise().kind).toBe(forcedOff ? 'js' : 'wasm-simd');
    expect(elementwise().workspace()).toBeInstanceOf(forcedOff ? JsWorkspace : SimdWorkspace);
    expect(chooseElementwise({}).kind).toBe('wasm-simd');
    const off = chooseElementwise({ CADENZA_SIMD: '0' });
    expect(off.kind).toBe('js');
    expect(off.reason).toMatch(/CADENZA_SIMD=0/);
    expect(chooseElementwise({ CADENZA_KERNELS: 'js' }).kind).toBe('js');
  });

  it('has an exp within 2e-7 relative of float64, saturating outside [-87.3, 88.3] and keeping NaN', () => {
    const x = Float32Array.from({ length: 20001 }, (_, i) => -87 + (175 * i) / 20000);
    const y = simd.activation('exp', x);
    for (let i = 0; i < x.length; i++) expect(Math.abs(y[i]! / Math.exp(x[i]!) - 1)).toBeLessThan(2e-7);
    const edge = simd.activation('exp', Float32Array.of(-1000, -88, 89, 1000, Infinity, -Infinity, NaN, 0));
    expect(edge[0]!).toBeGreaterThan(0);
    expect(edge[0]!).toBeLessThan(2e-38);
    expect(edge[3]!).toBeGreaterThan(2e38);
    expect(Number.isFinite(edge[4]!)).toBe(true);
    expect(edge[5]!).toBeLessThan(2e-38);
    expect(edge[6]!).toBeNaN();
    expect(edge[7]!).toBe(1);
  });

  it('has tanh and sigmoid within 2e-7 relative of float64, also near 0 and for large |x|', () => {
    const x = Float32Array.from({ length: 20001 }, (_, i) => -30 + (60 * i) / 20000);
    const tiny = Float32Array.of(
      1e-30,
      -1e-20,
      1e-7,
      -3e-4,
      0.6249,
      0.625,
      0.6251,
      500,
      -500,
      1e30,
      -1e30,
      0,
    );
    for (const input of [x, tiny]) {
      const t = simd.activation('tanh', input);
      const s = simd.activation('sigmoid', input);
      for (let i = 0; i < input.length; i++) {
        const v = input[i]!;
        const tr = Math.tanh(v);
        const sr = 1 / (1 + Math.exp(-v));
        expect(Math.abs(t[i]! - tr), `tanh(${v})`).toBeLessThanOrEqual(2e-7 * Math.abs(tr));
        expect(Math.abs(s[i]! - sr), `sigmoid(${v})`).toBeLessThanOrEqual(2e-7 * sr + 1e-38);
      }
    }
  });

  for (const resident of [true, false])
    for (const units of [8, 7, 1]) {
      const where = resident ? 'in its memory' : 'outside its memory';
      it(`computes the cell forward like TypeScript (${units} units, arrays ${where}, every combination of operands)`, () => {
        const rows = 5;
        const n = rows * units;
        for (const hasProduct of [true, false])
          for (const withTable of [true, false])
            for (const withPrev of [true, false]) {
              const base = {
                gates: values(4 * n, 3),
                table: withTable ? values(9 * 4 * units) : undefined,
                ids: withTable ? ids(rows * 3, 9) : undefined,
                bias: values(4 * units, 1),
                cPrev: withPrev ? values(n) : undefined,
                cells: new Float32Array(n),
                cellTanh: new Float32Array(n),
                hidden: new Float32Array(n),
              };
              const [a, b] = twins(base, resident);
              const args = (o: typeof base): CellForwardArgs =>
                ({ ...o, hasProduct, idStride: 3, rows, units }) as CellForwardArgs;
              simd.cellForward(args(a));
              js.cellForward(args(b));
              for (const k of ['gates', 'cells', 'cellTanh', 'hidden'] as const)
                expect(worst(a[k], b[k]), k).toBeLessThan(4e-7);
            }
      });

      it(`computes the cell backward like TypeScript (${units} units, arrays ${where}, every combination of operands)`, () => {
        const rows = 6;
        const n = rows * units;
        for (const withPrev of [true, false])
          for (const withAdd of [true, false])
            for (const withTable of [true, false]) {
              const act = (x: Float32Array): Float32Array => x.map((v) => 1 / (1 + Math.exp(-v)));
              // Saturated gates and cells included (the activations of |x| up to 1000); gradients of
              // moderate size, since float32 products of large ones differ from float64 by more.
              const base = {
                gates: act(values(4 * n)),
                cellTanh: values(n).map(Math.tanh),
                cPrev: withPrev ? values(n, 2, false) : undefined,
                dh: values(n, 0.5, false),
                dhAdd: withAdd ? values(rows * (units + 3), 0.5, false) : undefined,
                dcNext: values(n, 0.5, false),
                dz: new Float32Array(4 * n),
                dBias: values(4 * units, 0.1, false),
                dTable: withTable ? values(4 * 4 * units, 0.1, false) : undefined,
                ids: withTable ? ids(rows * 2, 4) : undefined,
              };
              const [a, b] = twins(base, resident);
              const args = (o: typeof base): CellBackwardArgs =>
                ({ ...o, dhAddStride: units + 3, idStride: 2, rows, units }) as CellBackwardArgs;
              simd.cellBackward(args(a));
              js.cellBackward(args(b));
              for (const k of ['dz', 'dcNext', 'dBias', 'dTable'] as const)
                if (a[k]) expect(worst(a[k], b[k]!), k).toBeLessThan(5e-7);
            }
      });
    }

  it('computes softmax rows (with and without a bias) and their argmax like TypeScript', () => {
    for (const width of [262, 7, 1, 4])
      for (const withBias of [true, false]) {
        const rows = 9;
        const base = {
          x: values(rows * width, 4),
          bias: withBias ? values(width) : undefined,
          argmax: new Int32Array(rows),
        };
        base.x[2 * width] = base.x[2 * width + width - 1] = 5000; // a tie: the first index wins
        const [a, b] = twins(base, true);
        simd.softmaxRows(a.x, a.bias, rows, width, a.argmax);
        js.softmaxRows(b.x, b.bias, rows, width, b.argmax);
        expect(worst(a.x, b.x)).toBeLessThan(1e-6);
        expect(Array.from(a.argmax)).toEqual(Array.from(b.argmax));
        for (let r = 0; r < rows; r++)
          expect(a.x.subarray(r * width, r * width + width).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      }
  });

  it('computes the cross-entropy gradient like TypeScript, zeroing rows without a target', () => {
    const rows = 6;
    const width = 13;
    const base = { p: values(rows * width).map(Math.abs), t: Int32Array.of(3, -1, 0, 12, -1, 7) };
    const [a, b] = twins(base, true);
    simd.crossEntropyGrad(a.p, a.t, rows, width, 1 / 37);
    js.crossEntropyGrad(b.p, b.t, rows, width, 1 / 37);
    expect(worst(a.p, b.p)).toBeLessThan(2e-7);
    expect(Array.from(a.p.subarray(width, 2 * width))).toEqual(new Array(width).fill(0));
  });

  it('draws the same dropout masks as TypeScript from the same generator, and leaves it in the same state', () => {
    for (const rate of [0.1, 0.3, 0.5]) {
      const src = values(1001);
      const r1 = new Rng(77);
      const r2 = new Rng(77);
      const [a, b] = twins({ src, out: new Float32Array(1001), mask: new Float32Array(1001) }, true);
      simd.dropout(a.src, a.out, a.mask, rate, r1);
      js.dropout(b.src, b.out, b.mask, rate, r2);
      expect(Array.from(a.mask)).toEqual(Array.from(b.mask));
      expect(Array.from(a.out)).toEqual(Array.from(b.out));
      expect(r1.getState()).toBe(r2.getState());
      expect(r1.next()).toBe(r2.next());
      const mask = simd.f32(10);
      simd.dropout(undefined, undefined, mask, rate, r1);
      js.dropout(undefined, undefined, (b.mask = new Float32Array(10)), rate, r2);
      expect(Array.from(mask)).toEqual(Array.from(b.mask));
    }
  });

  it('multiplies and adds rows exactly as TypeScript does', () => {
    const [a, b] = twins({ x: values(103), y: values(103), out: new Float32Array(103) }, true);
    simd.mul(a.x, a.y, a.out);
    js.mul(b.x, b.y, b.out);
    expect(Array.from(a.out)).toEqual(Array.from(b.out));
    for (const width of [12, 5]) {
      const [c, d] = twins({ src: values(7 * width), ids: ids(14, 3), out: values(3 * width) }, true);
      simd.addRows(c.src, c.ids, 2, 7, width, c.out);
      js.addRows(d.src, d.ids, 2, 7, width, d.out);
      expect(Array.from(c.out)).toEqual(Array.from(d.out));
      simd.addRows(c.src, undefined, 0, 7, width, c.out);
      js.addRows(d.src, undefined, 0, 7, width, d.out);
      expect(Array.from(c.out)).toEqual(Array.from(d.out));
    }
  });

  it('keeps arrays valid when its memory grows, and reuses memory after a new frame', () => {
    const w: Workspace = new SimdWorkspace();
    w.frame();
    const small = w.f32(8);
    small.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const big = w.f32(20_000_000); // 80 MB: grows the memory
    big[big.length - 1] = 3;
    const out = w.f32(8);
    w.mul(small, small, out);
    expect(Array.from(out)).toEqual([1, 4, 9, 16, 25, 36, 49, 64]);
    expect(big[big.length - 1]).toBe(3);
    w.frame();
    const again = w.f32(8);
    expect(again.byteOffset).toBe(small.byteOffset);
    expect(Array.from(again)).toEqual(new Array(8).fill(0));
  });

  it('throws a RangeError when an array is shorter than the kernel needs', () => {
    expect(() => simd.mul(new Float32Array(4), new Float32Array(3), new Float32Array(4))).toThrow(RangeError);
    expect(() =>
      simd.cellForward({
        gates: new Float32Array(7),
        hasProduct: false,
        bias: new Float32Array(8),
        cells: new Float32Array(2),
        cellTanh: new Float32Array(2),
        hidden: new Float32Array(2),
        rows: 1,
        units: 2,
      }),
    ).toThrow(/gates/);
  });
});

describe('the transformer passes, WebAssembly SIMD against TypeScript', () => {
  // Widths around the 4-lane steps: a tail of 0 to 3 single lanes.
  for (const width of [96, 7, 1])
    for (const resident of [true, false])
      it(`normalises rows and back-propagates through the norm (width ${width}, ${resident ? 'in' : 'outside'} wasm memory)`, () => {
        const rows = 5;
        const n = rows * width;
        const base = {
          x: values(n, 2, false),
          gamma: values(width, 1, false),
          beta: values(width, 1, false),
          xhat: new Float32Array(n),
          rstd: new Float32Array(rows),
          out: new Float32Array(n),
          dy: values(n, 1, false),
          dx: values(n, 1, false),
          dGamma: values(width, 1, false),
          dBeta: values(width, 1, false),
        };
        const [a, b] = twins(base, resident);
        simd.layerNorm(a.x, rows, width, a.gamma, a.beta, a.xhat, a.rstd, a.out);
        js.layerNorm(b.x, rows, width, b.gamma, b.beta, b.xhat, b.rstd, b.out);
        for (const k of ['xhat', 'rstd', 'out'] as const) expect(worst(a[k], b[k]), k).toBeLessThan(2e-6);
        simd.layerNormBackward(a.dy, a.xhat, a.rstd, rows, width, a.gamma, a.dx, a.dGamma, a.dBeta);
        js.layerNormBackward(b.dy, b.xhat, b.rstd, rows, width, b.gamma, b.dx, b.dGamma, b.dBeta);
        for (const k of ['dx', 'dGamma', 'dBeta'] as const) expect(worst(a[k], b[k]), k).toBeLessThan(2e-6);
      });

  for (const L of [128, 7, 1])
    for (const rate of [0, 0.1])
      it(`computes the causal softmax with skewed relative logits, its dropout and its backward pass (L ${L}, dropout ${rate})`, () => {
        const n = L * L;
        const base = {
          s: values(n, 3, false),
          m: values(n, 3, false),
          mask: new Float32Array(n),
          out: new Float32Array(n),
          dz: values(n, 1, false),
          dm: new Float32Array(n),
        };
        const [a, b] = twins(base, true);
        const [ra, rb] = [new Rng(5), new Rng(5)];
        const scale = 1 / Math.sqrt(24);
        simd.causalSoftmax(a.s, a.m, L, scale, rate ? { rng: ra, rate, mask: a.mask, out: a.out } : undefined);
        js.causalSoftmax(b.s, b.m, L, scale, rate ? { rng: rb, rate, mask: b.mask, out: b.out } : undefined);
        expect(worst(a.s, b.s)).toBeLessThan(1e-6);
        const sums = Array.from({ length: L }, (_, i) => a.s.subarray(i * L, i * L + i + 1).reduce((x, y) => x + y, 0));
        expect(Math.max(...sums.map((v) => Math.abs(v - 1)))).toBeLessThan(1e-5);
        expect(Array.from({ length: L }, (_, i) => a.s.subarray(i * L + i + 1, (i + 1) * L).every((v) => v === 0))).not.toContain(false);
        expect(ra.getState()).toBe(rb.getState());
        if (rate) {
          // The same draws: identical masks on and below the diagonal.
          const lower = (x: Float32Array): number[] => Array.from(x).filter((_, e) => e % L <= Math.floor(e / L));
          expect(lower(a.mask)).toEqual(lower(b.mask));
          expect(worst(a.out, b.out)).toBeLessThan(1e-6);
        }
        // The backward pass from the same probabilities (the TypeScript ones), so only it is compared.
        a.s.set(b.s);
        const mask = (w: typeof a): Float32Array | undefined => (rate ? w.mask : undefined);
        simd.causalSoftmaxBackward(a.s, a.dz, a.dm, L, scale, mask(a));
        js.causalSoftmaxBackward(b.s, b.dz, b.dm, L, scale, mask(b));
        expect(worst(a.dz, b.dz)).toBeLessThan(1e-6);
        expect(worst(a.dm, b.dm)).toBeLessThan(1e-6);
      });

  it('writes each softmax row\'s largest logit and sum of exponentials when asked', () => {
    const [rows, width] = [6, 389];
    const base = { x: values(rows * width, 4), bias: values(width), argmax: new Int32Array(rows), stats: new Float32Array(2 * rows) };
    const [a, b] = twins(base, true);
    simd.softmaxRows(a.x, a.bias, rows, width, a.argmax, a.stats);
    js.softmaxRows(b.x, b.bias, rows, width, b.argmax, b.stats);
    expect(worst(a.stats, b.stats)).toBeLessThan(1e-6);
    expect(worst(a.x, b.x)).toBeLessThan(1e-6);
  });

  for (const width of [256, 7])
    it(`adds a bias under a ReLU and masks its gradient (width ${width})`, () => {
      const rows = 4;
      const base = { x: values(rows * width), bias: values(width), dy: values(rows * width) };
      const [a, b] = twins(base, true);
      simd.biasRelu(a.x, a.bias, rows, width);
      js.biasRelu(b.x, b.bias, rows, width);
      expect(Array.from(a.x)).toEqual(Array.from(b.x));
      simd.biasRelu(a.dy, undefined, rows, width);
      js.biasRelu(b.dy, undefined, rows, width);
      simd.reluGrad(a.x, a.dy, rows * width);
      js.reluGrad(b.x, b.dy, rows * width);
      expect(Array.from(a.dy)).toEqual(Array.from(b.dy));
    });

  for (const [rows, width] of [
    [16, 96],
    [3, 7],
  ] as const)
    for (const parts of ['bias, residual, dropout', 'in place, dropout', 'residual only'])
      it(`adds a residual to a dropped-out branch like TypeScript (${rows} x ${width}, ${parts})`, () => {
        const n = rows * width;
        const base = { y: values(n), bias: values(width), res: values(n), out: new Float32Array(n), mask: new Float32Array(n) };
        const [a, b] = twins(base, true);
        const [ra, rb] = [new Rng(9), new Rng(9)];
        for (const [w, ws, r] of [
          [a, simd, ra],
          [b, js, rb],
        ] as const) {
          const drop = parts.includes('dropout') ? { rng: r, rate: 0.25, mask: w.mask } : undefined;
          if (parts.startsWith('bias')) ws.residualDropout(w.y, w.bias, w.res, w.out, rows, width, drop);
          else if (parts.startsWith('in place')) ws.residualDropout(w.y, undefined, undefined, w.y, rows, width, drop);
          else ws.residualDropout(w.y, undefined, w.res, w.out, rows, width);
        }
        expect(Array.from(a.mask)).toEqual(Array.from(b.mask));
        expect(Array.from(a.out)).toEqual(Array.from(b.out));
        expect(Array.from(a.y)).toEqual(Array.from(b.y));
        expect(ra.getState()).toBe(rb.getState());
        if (parts.includes('dropout')) expect(a.mask.some((v) => v === 0)).toBe(true);
      });

  it('permutes rows to head-major order and back', () => {
    const [n, heads, dh] = [10, 4, 6];
    const base = { x: values(n * heads * dh), mid: new Float32Array(n * heads * dh), back: new Float32Array(n * heads * dh) };
    const [a, b] = twins(base, true);
    simd.permuteHeads(a.x, a.mid, n, heads, dh, false);
    js.permuteHeads(b.x, b.mid, n, heads, dh, false);
    expect(Array.from(a.mid)).toEqual(Array.from(b.mid));
    simd.permuteHeads(a.mid, a.back, n, heads, dh, true);
    expect(Array.from(a.back)).toEqual(Array.from(a.x));
  });
});

describe('Workspace.zero', () => {
  it('zeroes arrays in the wasm memory and outside it', () => {
    for (const ws of [simd, js] as Workspace[]) {
      const inside = ws.copy(values(37));
      const outside = values(37);
      ws.zero(inside.subarray(3, 30));
      ws.zero(outside);
      expect(Array.from(inside.subarray(3, 30))).toEqual(new Array(27).fill(0));
      expect(inside[2]).not.toBe(0);
      expect(inside[30]).not.toBe(0);
      expect(Array.from(outside)).toEqual(new Array(37).fill(0));
    }
  });
});

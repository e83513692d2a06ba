/**
 * Per-kernel timings of the transformer engine's element-wise passes on the default preset's shapes,
 * WebAssembly SIMD against TypeScript, in CPU milliseconds per training step's worth of calls
 * (CPU time, so that a shared machine inflates them less than wall time). Not part of `npm run
 * bench`: run `node --import tsx bench/transformer-kernels.ts`.
 */
import { Rng } from '../src/core/common/random';
import { JsWorkspace, SimdWorkspace, type Workspace } from '../src/core/node/tensor/elementwise';
import { blas } from '../src/core/node/tensor/blas';
import { blasKernels } from '../src/core/node/tensor/kernels';

// Default preset shapes: N = 16 * 128 rows, d 96, F 256, V 388, 4 heads, L 128.
const [B, L, d, F, V, h] = [16, 128, 96, 256, 388, 4];
const N = B * L;
const rng = new Rng(3);
const fill = (a: Float32Array, s = 1): Float32Array => {
  for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * s;
  return a;
};
/** CPU ms per call of `f`, after one warm-up call. */
function bench(reps: number, f: () => void): number {
  f();
  const t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const c = process.cpuUsage(t0);
  return (c.user + c.system) / 1000 / reps;
}
const rows: Record<string, Record<string, number>> = {};
for (const ws of [new SimdWorkspace(), new JsWorkspace()] as Workspace[]) {
  ws.frame();
  const f32 = (n: number): Float32Array => ws.f32(n, false);
  const x = fill(f32(N * d)),
    gamma = fill(new Float32Array(d)),
    beta = fill(new Float32Array(d));
  const xhat = f32(N * d),
    rstd = f32(N),
    out = f32(N * d),
    dx = fill(f32(N * d)),
    dg = new Float32Array(d),
    db = new Float32Array(d);
  const blocks = h * B;
  const s = fill(f32(blocks * L * L), 3),
    m = fill(f32(blocks * L * L), 3),
    mask = f32(blocks * L * L),
    pd = f32(blocks * L * L);
  const dz = fill(f32(L * L)),
    dm = f32(L * L);
  const ff = fill(f32(N * F)),
    fb = fill(new Float32Array(F)),
    dff = fill(f32(N * F));
  const logits = fill(f32(N * V), 3),
    ob = fill(new Float32Array(V)),
    am = ws.i32(N),
    st = f32(2 * N);
  const t = new Int32Array(N).map(() => rng.int(V));
  const heads = f32(N * d);
  const r = new Rng(1);
  const add = (k: string, v: number): void => {
    (rows[k] ??= {})[ws.kind] = v;
  };
  // Per step counts: layer norm 7 forward / 7 backward, softmax blocks 64 x 3 layers, etc.
  add('layerNorm [2048 x 96] x7', 7 * bench(20, () => ws.layerNorm(x, N, d, gamma, beta, xhat, rstd, out)));
  add(
    'layerNormBackward x7',
    7 * bench(20, () => ws.layerNormBackward(x, xhat, rstd, N, d, gamma, dx, dg, db)),
  );
  const sm = (drop: boolean): void => {
    for (let b = 0; b < blocks; b++) {
      const o = b * L * L;
      ws.causalSoftmax(
        s.subarray(o, o + L * L),
        m.subarray(o, o + L * L),
        L,
        0.2,
        drop
          ? { rng: r, rate: 0.1, mask: mask.subarray(o, o + L * L), out: pd.subarray(o, o + L * L) }
          : undefined,
      );
    }
  };
  add('causalSoftmax 64 blocks x3 layers, no dropout', 3 * bench(5, () => sm(false)));
  add('causalSoftmax 64 blocks x3 layers, dropout 0.1', 3 * bench(5, () => sm(true)));
  add(
    'causalSoftmaxBackward 64 blocks x3, dropout',
    3 *
      bench(5, () => {
        for (let b = 0; b < blocks; b++) {
          const o = b * L * L;
          dz.set(s.subarray(o, o + L * L));
          ws.causalSoftmaxBackward(s.subarray(o, o + L * L), dz, dm, L, 0.2, mask.subarray(o, o + L * L));
        }
      }),
  );
  add('biasRelu [2048 x 256] x3', 3 * bench(20, () => ws.biasRelu(ff, fb, N, F)));
  add('reluGrad x3', 3 * bench(20, () => ws.reluGrad(ff, dff, N * F)));
  add(
    'residualDropout [2048 x 96] x7 (dropout)',
    7 * bench(20, () => ws.residualDropout(x, gamma, dx, out, N, d, { rng: r, rate: 0.1, mask: xhat })),
  );
  add('permuteHeads [2048 x 96] x12', 12 * bench(20, () => ws.permuteHeads(x, heads, N, h, d / h, false)));
  add(
    'softmaxRows output [2048 x 388] + stats',
    bench(10, () => ws.softmaxRows(logits, ob, N, V, am, st)),
  );
  add(
    'crossEntropyGrad [2048 x 388]',
    bench(10, () => ws.crossEntropyGrad(logits, t, N, V, 1 / N)),
  );
  add('mul [2048 x 96] x7', 7 * bench(20, () => ws.mul(x, dx, out)));
  add(
    'addRows column sums [2048 x 388]',
    bench(10, () => ws.addRows(logits, undefined, 0, N, V, ob)),
  );
}
const native = blas();
if (native.kind === 'blas') {
  const k = blasKernels(native);
  k.setThreads(1);
  const ws = new SimdWorkspace();
  ws.frame();
  const lg = fill(ws.f32(N * V, false)),
    ones = new Float32Array(N).fill(1),
    into = new Float32Array(V);
  (rows['addRows column sums [2048 x 388]'] ??= {}).blasOnesGemm = bench(10, () =>
    k.gemm(false, false, 1, V, N, ones, lg, into, true),
  );
}
console.log('| pass (per step) | wasm-simd ms | typescript ms | speed-up |');
for (const [k, v] of Object.entries(rows))
  console.log(
    `| ${k} | ${v['wasm-simd']!.toFixed(2)} | ${v.js!.toFixed(2)} | ${(v.js! / v['wasm-simd']!).toFixed(1)}x |${v.blasOnesGemm !== undefined ? ` BLAS ones·x: ${v.blasOnesGemm.toFixed(2)} ms` : ''}`,
  );

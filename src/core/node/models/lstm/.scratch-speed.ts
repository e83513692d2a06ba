import { selectTensorBackend } from '../../tensor/backend';
import { BiLstmEngine } from './engine';
import { initLstmWeights } from './weights';
import { Rng } from '../../../common/random';
import type { LstmArchitecture } from '../../../common/models/lstm';
await selectTensorBackend((process.argv[2] as 'wasm') ?? 'wasm');
const cfgs: [string, LstmArchitecture, number][] = [
  [
    'small',
    { vocabSize: 128, window: 64, embedding: 64, lstmUnits: [128], denseUnits: 128, dropout: 0.2 },
    32,
  ],
];
for (const [n, arch, B] of cfgs) {
  const w = initLstmWeights(arch, 1);
  const eng = new BiLstmEngine(arch, w);
  const rng = new Rng(1);
  const ids = new Int32Array(B * arch.window).map(() => rng.int(arch.vocabSize));
  const tg = new Int32Array(B).map(() => rng.int(arch.vocabSize));
  const grads = new Map([...w].map(([k, v]) => [k, new Float32Array(v.length)]));
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const f = eng.forward(ids, B, rng);
    const t1 = performance.now();
    eng.backward(f, tg, grads);
    const t2 = performance.now();
    console.log(n, 'fwd', (t1 - t0).toFixed(0), 'bwd', (t2 - t1).toFixed(0), 'ms');
  }
}

/**
 * Generation throughput: events per second at batch 1 and 8 on each runtime (onnxruntime-node
 * and TF.js) for the `small`, `seed` and `default` sizes, and the time to generate a 60-second
 * piece with the bundled model on the default runtime. Models of a given size get seeded random weights
 * (speed does not depend on the values); the reference is PyTorch 1.13 on the same machine:
 * 20.7 ms per batch-1 forward of the `seed` size (48 events/s), 2.9 ms for `small`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LstmArchitecture } from '../src/core/common/models/lstm';
import { LSTM_PRESETS } from '../src/core/common/models/lstm';
import { Rng } from '../src/core/common/random';
import { generatePieces } from '../src/core/node/generate/generate';
import type { PredictFn } from '../src/core/common/generate/loop';
import { openLstmRuntime } from '../src/core/node/generate/runtime';
import { readLstmWeights } from '../src/core/node/models/lstm/weights';
import { buildLstmOnnx } from '../src/core/node/onnx/exportLstm';
import type { OnnxSessionOptions } from '../src/core/node/onnx/session';
import { openOnnxLstm } from '../src/core/node/onnx/session';
import { exportLstmModelFolder } from '../src/core/node/onnx/modelFolder';
import { writeRandomLstmModel } from '../src/core/node/onnx/randomModel';
import { resourcesDir } from '../src/core/node/paths';
import type { BenchRow } from './run';

/** Vocabulary size for the random models when no bundled model says otherwise. */
const DEFAULT_VOCAB = 512;
/** Time spent measuring each configuration, in ms. */
const MEASURE_MS = 1500;

const PYTORCH_MS: Record<string, number> = { seed: 20.7, small: 2.9 };

/** Events per second of `predict` at `batch`, and the process CPU time per call (which machine load does not inflate). */
async function measure(predict: PredictFn, a: LstmArchitecture, batch: number): Promise<{ eps: number; msPerCall: number; cpuMsPerCall: number }> {
  const rng = new Rng(1);
  const windows = Int32Array.from({ length: batch * a.window }, () => rng.int(a.vocabSize));
  for (let i = 0; i < 3; i++) await predict(windows, batch);
  let calls = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (calls < 5 || performance.now() - start < MEASURE_MS) {
    await predict(windows, batch);
    calls++;
  }
  const ms = (performance.now() - start) / calls;
  const used = process.cpuUsage(cpu);
  return { eps: (batch * 1000) / ms, msPerCall: ms, cpuMsPerCall: (used.user + used.system) / 1000 / calls };
}

async function eventsPerSecond(dir: string, runtime: 'onnx' | 'tfjs', batch: number): Promise<{ eps: number; msPerCall: number; cpuMsPerCall: number }> {
  const rt = await openLstmRuntime(dir, runtime);
  try {
    return await measure(rt.predict, rt.config.architecture, batch);
  } finally {
    await rt.dispose();
  }
}

/** The alternatives to the default ONNX layout and session, for the record. */
async function onnxVariants(a: LstmArchitecture, weights: Map<string, Float32Array>, size: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const variants: [string, boolean, OnnxSessionOptions][] = [
    ['one bidirectional op, sequential, 1 thread', false, { parallel: false, intraOpThreads: 1 }],
    ['one bidirectional op, sequential, 2 intra-op threads', false, { parallel: false, intraOpThreads: 2 }],
    ['op per direction, sequential, 1 thread', true, { parallel: false, intraOpThreads: 1 }],
    ['op per direction, parallel (2 inter-op, 1 intra-op)', true, { parallel: true }],
  ];
  for (const [label, splitDirections, options] of variants) {
    const session = await openOnnxLstm(buildLstmOnnx(a, weights, { splitDirections }), a.window, a.vocabSize, options);
    try {
      const { eps, msPerCall, cpuMsPerCall } = await measure((w, b) => session.predict(w, b), a, 1);
      rows.push({ name: `generate ${size} onnx batch 1, ${label}`, value: eps, unit: 'events/s', note: `${msPerCall.toFixed(2)} ms/call, ${cpuMsPerCall.toFixed(2)} ms CPU/call` });
    } finally {
      await session.dispose();
    }
  }
  return rows;
}

/** The generation benchmark: events/s per size, runtime and batch, and the bundled model's 60-second piece. */
export default async function generateBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cadenza-bench-generate-'));
  const bundled = path.join(resourcesDir(), 'models', 'lstm');
  const hasBundled = existsSync(path.join(bundled, 'config.json'));
  try {
    for (const preset of ['small', 'seed', 'default'] as const) {
      const a: LstmArchitecture = { ...LSTM_PRESETS[preset].architecture, vocabSize: DEFAULT_VOCAB };
      const tokens = Array.from({ length: a.vocabSize }, (_, i) => `t${i}`);
      const dir = await writeRandomLstmModel(path.join(tmp, preset), a, tokens);
      await exportLstmModelFolder(dir);
      const size = `${preset} (window ${a.window}, emb ${a.embedding}, lstm ${a.lstmUnits.join('+')}, vocab ${a.vocabSize})`;
      for (const runtime of ['onnx', 'tfjs'] as const) {
        for (const batch of [1, 8]) {
          const { eps, msPerCall, cpuMsPerCall } = await eventsPerSecond(dir, runtime, batch);
          const ref = PYTORCH_MS[preset];
          const note = `${msPerCall.toFixed(2)} ms/call, ${cpuMsPerCall.toFixed(2)} ms CPU/call${ref && batch === 1 ? `; PyTorch 1.13: ${(1000 / ref).toFixed(0)} events/s` : ''}`;
          rows.push({ name: `generate ${size} ${runtime} batch ${batch}`, value: eps, unit: 'events/s', note });
        }
      }
      if (preset !== 'small') rows.push(...(await onnxVariants(a, await readLstmWeights(dir, a), size)));
    }
    if (hasBundled) {
      // The default runtime only: TF.js takes minutes for this piece (its events/s are in the rows above).
      const start = performance.now();
      const cpu = process.cpuUsage();
      const [piece] = await generatePieces({ modelPath: bundled, outputPath: path.join(tmp, 'out'), seconds: 60, seed: 1 });
      const seconds = (performance.now() - start) / 1000;
      const used = process.cpuUsage(cpu);
      rows.push({
        name: `60-second piece, bundled model, ${piece!.runtime} (open + generate + write)`,
        value: seconds,
        unit: 's',
        note: `${((used.user + used.system) / 1e6).toFixed(2)} s CPU; ${piece!.stats.events} events, ${piece!.stats.tokens} tokens, ${piece!.stats.durationSeconds.toFixed(1)} s of music`,
      });
    } else rows.push({ name: '60-second piece, bundled model: skipped (resources/models/lstm not present)', value: 0, unit: 's' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

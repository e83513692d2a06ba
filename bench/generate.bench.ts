/**
 * Generation throughput: events per second at batch 1 and 8 for the `small`, `seed` and `default`
 * sizes on each runtime (onnxruntime-node: the incremental engine generation uses and the
 * whole-window graph, on 1 and 2 threads; TF.js), and the time to generate a 60-second piece
 * with the bundled model as `cadenza generate` does by default.
 *
 * Calls are made as generation makes them: each row's window is the previous one slid by a
 * token. Models of a given size get seeded random weights (speed does not depend on the
 * values). The reference is PyTorch 1.13 on the same machine: 20.7 ms per batch-1 forward of the
 * `seed` size (48 events/s), 2.9 ms for `small`. This machine's timings drift from minute to
 * minute, so each figure is the median of several rounds, with the CPU time per call beside it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LstmArchitecture } from '../src/core/common/models/lstm';
import { LSTM_PRESETS } from '../src/core/common/models/lstm';
import { Rng } from '../src/core/common/random';
import type { PredictFn } from '../src/core/common/generate/loop';
import { generatePieces } from '../src/core/node/generate/generate';
import type { OnnxEngine } from '../src/core/node/generate/runtime';
import { openLstmRuntime, planOnnx } from '../src/core/node/generate/runtime';
import { readLstmConfig } from '../src/core/node/models/lstm/config';
import { exportLstmModelFolder } from '../src/core/node/onnx/modelFolder';
import { writeRandomLstmModel } from '../src/core/node/onnx/randomModel';
import { resourcesDir } from '../src/core/node/paths';
import type { BenchRow } from './run';

/** Vocabulary size for the random models. */
const VOCAB = 512;
/** Rounds per configuration; the median is reported. */
const ROUNDS = 5;
/** Time spent measuring each round, in ms. */
const ROUND_MS = 400;
/** 60-second pieces generated with the bundled model; the median is reported. */
const PIECES = 3;

const PYTORCH_MS: Record<string, number> = { seed: 20.7, small: 2.9 };

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median events/s of `predict` at `batch` over sliding windows, and CPU ms per call. */
async function measure(predict: PredictFn, a: LstmArchitecture, batch: number): Promise<{ eps: number; cpuMsPerCall: number }> {
  const rng = new Rng(1);
  const pieces = Array.from({ length: batch }, () => Array.from({ length: a.window }, () => rng.int(a.vocabSize)));
  const call = async (): Promise<void> => {
    const windows = new Int32Array(batch * a.window);
    pieces.forEach((p, b) => {
      windows.set(p.slice(-a.window), b * a.window);
      p.push(rng.int(a.vocabSize));
    });
    await predict(windows, batch);
  };
  for (let i = 0; i < 3; i++) await call();
  const rates: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const used = process.cpuUsage();
    const start = performance.now();
    while (calls < 3 || performance.now() - start < ROUND_MS) {
      await call();
      calls++;
    }
    rates.push((batch * calls * 1000) / (performance.now() - start));
    const u = process.cpuUsage(used);
    cpu.push((u.user + u.system) / 1000 / calls);
  }
  return { eps: median(rates), cpuMsPerCall: median(cpu) };
}

/** The generation benchmark: events/s per size, engine, threads and batch, and the bundled model's 60-second piece. */
export default async function generateBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cadenza-bench-generate-'));
  const bundled = path.join(resourcesDir(), 'models', 'lstm');
  try {
    const sizes: [string, LstmArchitecture][] = [
      ...(['small', 'seed', 'default'] as const).map((p): [string, LstmArchitecture] => [p, { ...LSTM_PRESETS[p].architecture, vocabSize: VOCAB }]),
      // The default before 2026-11-26 (and the bundled model's size until then).
      ['two-layer', { ...LSTM_PRESETS.default.architecture, lstmUnits: [192, 192], vocabSize: VOCAB }],
    ];
    for (const [preset, a] of sizes) {
      const dir = await writeRandomLstmModel(
        path.join(tmp, preset),
        a,
        Array.from({ length: VOCAB }, (_, i) => `t${i}`),
      );
      await exportLstmModelFolder(dir);
      const size = `${preset} (window ${a.window}, emb ${a.embedding}, lstm ${a.lstmUnits.join('+')})`;
      const ref = PYTORCH_MS[preset];
      const configs: { label: string; runtime: 'onnx' | 'tfjs'; engine?: OnnxEngine; threads?: number; batch: number }[] = [
        { label: 'onnx incremental, 1 thread', runtime: 'onnx', engine: 'incremental', threads: 1, batch: 1 },
        { label: 'onnx incremental, 2 threads', runtime: 'onnx', engine: 'incremental', threads: 2, batch: 1 },
        { label: 'onnx window, 1 thread', runtime: 'onnx', engine: 'window', threads: 1, batch: 1 },
        { label: 'onnx window, 2 threads', runtime: 'onnx', engine: 'window', threads: 2, batch: 1 },
        { label: 'onnx incremental, 2 threads', runtime: 'onnx', engine: 'incremental', threads: 2, batch: 8 },
        { label: 'tfjs', runtime: 'tfjs', batch: 1 },
        { label: 'tfjs', runtime: 'tfjs', batch: 8 },
      ];
      for (const c of configs) {
        const rt = await openLstmRuntime(dir, c.runtime, { engine: c.engine, threads: c.threads });
        try {
          const { eps, cpuMsPerCall } = await measure(rt.predict, a, c.batch);
          const vsTorch = ref && c.batch === 1 ? `; ${((eps * ref) / 1000).toFixed(2)}x PyTorch 1.13 (${(1000 / ref).toFixed(0)} events/s)` : '';
          rows.push({ name: `generate ${size} ${c.label}, batch ${c.batch}`, value: eps, unit: 'events/s', note: `${cpuMsPerCall.toFixed(2)} ms CPU/call${vsTorch}` });
        } finally {
          await rt.dispose();
        }
      }
    }
    if (existsSync(path.join(bundled, 'config.json'))) {
      // As `cadenza generate` runs it: default runtime, engine and threads (TF.js takes minutes here).
      // The label's plan is what generatePieces chooses too, unless the load average moves meanwhile.
      const { engine, threads } = planOnnx((await readLstmConfig(bundled)).architecture);
      const runs: { seconds: number; cpu: number; events: number; tokens: number; music: number }[] = [];
      for (let i = 0; i < PIECES; i++) {
        const start = performance.now();
        const cpu = process.cpuUsage();
        const [piece] = await generatePieces({ modelPath: bundled, outputPath: path.join(tmp, 'out'), seconds: 60, seed: 1 });
        const used = process.cpuUsage(cpu);
        runs.push({
          seconds: (performance.now() - start) / 1000,
          cpu: (used.user + used.system) / 1e6,
          events: piece!.stats.events,
          tokens: piece!.stats.tokens,
          music: piece!.stats.durationSeconds,
        });
      }
      const mid = runs.find((r) => r.seconds === median(runs.map((x) => x.seconds)))!;
      rows.push({
        name: `60-second piece, bundled model, onnx ${engine}, ${threads} thread${threads > 1 ? 's' : ''} (open + generate + write)`,
        value: mid.seconds,
        unit: 's',
        note: `median of ${PIECES} (${runs.map((r) => r.seconds.toFixed(2)).join(', ')} s); ${mid.cpu.toFixed(2)} s CPU; ${mid.events} events, ${mid.tokens} tokens, ${mid.music.toFixed(1)} s of music`,
      });
    } else rows.push({ name: '60-second piece, bundled model: skipped (resources/models/lstm not present)', value: 0, unit: 's' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, DataError } from '../../common/errors';
import { LSTM_PRESETS } from '../../common/models/lstm';
import { loadLstmModel } from '../models/lstm/model';
import { elementwise } from '../tensor/elementwise';
import { readTrainingLog } from './log';
import { motifDataset } from './testing';
import { trainLstm } from './trainLstm';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'cadenza-train-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const tiny = LSTM_PRESETS.tiny;
const data = motifDataset();

describe('trainLstm', () => {
  it('learns: held-out loss falls below the unigram baseline, and the folder loads', async () => {
    const dir = await tempDir();
    const tensorsAtEpochEnd: number[] = [];
    const result = await trainLstm(data, {
      modelDir: dir,
      architecture: tiny.architecture,
      training: { ...tiny.training, epochs: 10, maxStepsPerEpoch: 25 },
      backend: 'wasm',
      onProgress: (e) => {
        if (e.stage.startsWith('validate') && e.done === 1) tensorsAtEpochEnd.push(tf.memory().numTensors);
      },
    });
    const m = result.config.metrics;
    expect(m.epochs).toBeGreaterThanOrEqual(3);
    expect(m.unigramNll).toBeGreaterThan(2.5);
    expect(m.validNll).toBeLessThan(m.unigramNll * 0.6);
    // No tensor leaks: the live tensor count is flat from epoch to epoch.
    expect(new Set(tensorsAtEpochEnd).size).toBe(1);

    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    expect(config.format).toBe('cadenza-lstm');
    expect(config.training.backend).toBe('wasm');
    const log = await readTrainingLog(path.join(dir, 'training-log.jsonl'));
    expect(log[0]!.type).toBe('start');
    expect(log.filter((e) => e.type === 'epoch')).toHaveLength(m.epochs);

    const model = await loadLstmModel(dir, 'wasm');
    const valid = data.pieces.find((p) => p.split === 'valid')!.tokens;
    const W = tiny.architecture.window;
    const probs = model.predict([Array.from(valid.subarray(0, W)), Array.from(valid.subarray(1, W + 1))]);
    expect(probs.length).toBe(2 * data.vocab.tokens.length);
    let sum = 0;
    for (let v = 0; v < data.vocab.tokens.length; v++) sum += probs[v]!;
    expect(sum).toBeCloseTo(1, 4);
    // The true next token is well predicted (motif continuation).
    expect(probs[valid[W]!]!).toBeGreaterThan(0.2);
    model.dispose();
  });

  it('resumes after a cancel (mid-epoch or during validation) with exactly the result of an uninterrupted run', async () => {
    const settings = { ...tiny.training, epochs: 3, maxStepsPerEpoch: 8, patience: 10 };
    const whole = await tempDir();
    const a = await trainLstm(data, {
      modelDir: whole,
      architecture: tiny.architecture,
      training: settings,
      backend: 'wasm',
    });
    const wa = await readFile(path.join(whole, 'weights.bin'));

    const cancelPoints: ((stage: string, done: number) => boolean)[] = [
      // In the middle of the second epoch.
      (() => {
        let steps = 0;
        return (stage: string) => stage.startsWith('epoch') && ++steps === 12;
      })(),
      // As the first validation starts.
      (stage: string, done: number) => stage.startsWith('validate 1') && done === 0,
    ];
    for (const shouldCancel of cancelPoints) {
      const split = await tempDir();
      const controller = new AbortController();
      await expect(
        trainLstm(data, {
          modelDir: split,
          architecture: tiny.architecture,
          training: settings,
          backend: 'wasm',
          signal: controller.signal,
          onProgress: (e) => {
            if (shouldCancel(e.stage, e.done)) controller.abort();
          },
        }),
      ).rejects.toBeInstanceOf(CancelledError);
      const b = await trainLstm(data, {
        modelDir: split,
        architecture: tiny.architecture,
        training: settings,
        backend: 'wasm',
        resume: true,
      });
      expect(b.config.metrics.validNll).toBe(a.config.metrics.validNll);
      expect(b.config.metrics.steps).toBe(a.config.metrics.steps);
      expect(b.config.metrics.epochs).toBe(a.config.metrics.epochs);
      expect((await readFile(path.join(split, 'weights.bin'))).equals(wa)).toBe(true);
    }
  });

  it('auto trains on a real GPU and passes a software one over, saying why', async () => {
    const { probeWebGpu } = await import('../tensor/webgpu');
    const probe = await probeWebGpu();
    const dir = await tempDir();
    const result = await trainLstm(data, { modelDir: dir, architecture: tiny.architecture, training: { ...tiny.training, epochs: 1, maxStepsPerEpoch: 2 } });
    const reason = result.config.training.backendReason ?? '';
    if (probe.ok && !probe.adapter.software) expect(result.config.training.backend).toBe('webgpu');
    else {
      expect(result.config.training.backend).not.toBe('webgpu');
      expect(reason).toMatch(probe.ok ? /webgpu was passed over: the only adapter, .* is a software rasteriser/ : /webgpu was passed over: /);
    }
  }, 60_000);

  it('refuses data without validation windows, naming the window', async () => {
    const short = {
      ...data,
      pieces: data.pieces.map((p) => (p.split === 'valid' ? { ...p, tokens: p.tokens.subarray(0, 5) } : p)),
    };
    await expect(
      trainLstm(short, {
        modelDir: await tempDir(),
        architecture: tiny.architecture,
        training: tiny.training,
        backend: 'wasm',
      }),
    ).rejects.toThrow(DataError);
  });

  it('refuses to start over an existing checkpoint without resume', async () => {
    const dir = await tempDir();
    const settings = { ...tiny.training, epochs: 1, maxStepsPerEpoch: 2 };
    await trainLstm(data, {
      modelDir: dir,
      architecture: tiny.architecture,
      training: settings,
      backend: 'wasm',
    });
    await expect(
      trainLstm(data, {
        modelDir: dir,
        architecture: tiny.architecture,
        training: settings,
        backend: 'wasm',
      }),
    ).rejects.toThrow(/--resume/);
  });
});

describe('trainLstm with worker threads', () => {
  it('averages the gradients of two threads: the same training as one thread, up to rounding', async () => {
    const settings = { ...tiny.training, epochs: 2, maxStepsPerEpoch: 10, patience: 10 };
    const arch = { ...tiny.architecture, dropout: 0 };
    const two = await trainLstm(data, {
      modelDir: await tempDir(),
      architecture: arch,
      training: settings,
      backend: 'wasm',
      threads: 2,
    });
    const one = await trainLstm(data, {
      modelDir: await tempDir(),
      architecture: arch,
      training: settings,
      backend: 'wasm',
    });
    // Without dropout the averaged gradient equals the whole-batch gradient up to rounding.
    expect(two.config.metrics.validNll).toBeCloseTo(one.config.metrics.validNll, 2);
    expect(two.config.metrics.steps).toBe(one.config.metrics.steps);
  });

  it('really splits the batch: with dropout, each share draws its own masks, so two threads train differently', async () => {
    const settings = { ...tiny.training, epochs: 1, maxStepsPerEpoch: 5, patience: 10 };
    const arch = { ...tiny.architecture, dropout: 0.3 };
    const run = async (threads: number) =>
      (await trainLstm(data, { modelDir: await tempDir(), architecture: arch, training: settings, backend: 'wasm', threads })).config.metrics.validNll;
    const [one, two, twoAgain] = [await run(1), await run(2), await run(2)];
    expect(two).not.toBe(one);
    // Still deterministic for a given thread count.
    expect(twoAgain).toBe(two);
  });
});

describe('trainLstm on the kernel providers', () => {
  it('records the provider and why, and the same seed gives the same loss curve on BLAS as on wasm', async (ctx) => {
    const { blas } = await import('../tensor/blas');
    if (blas().kind !== 'blas') {
      // CI installs libopenblas0, so there this comparison always runs.
      if (process.env.CI === 'true') throw new Error(`No BLAS in CI: ${blas().reason}`);
      ctx.skip();
    }
    const training = { ...tiny.training, epochs: 3, maxStepsPerEpoch: 10 };
    const run = async (backend: 'wasm' | 'blas' | 'auto', threads = 1) => {
      const dir = await tempDir();
      const result = await trainLstm(data, { modelDir: dir, architecture: tiny.architecture, training, backend, threads });
      const log = await readTrainingLog(path.join(dir, 'training-log.jsonl'));
      return { result, log, losses: log.filter((e) => e.type === 'epoch').map((e) => [e.trainLoss, e.validNll] as number[]) };
    };
    const wasm = await run('wasm');
    const native = await run('auto');
    expect(native.result.config.training.backend).toBe('blas');
    expect(native.result.config.training.blasLibrary).toMatch(/blas/);
    expect(native.result.config.training.backendReason).toMatch(/fastest provider/);
    const start = native.log.find((e) => e.type === 'start')!;
    expect(start.backend).toBe('blas');
    expect(start.backendReason).toBe(native.result.config.training.backendReason);
    expect(start.elementwise).toBe(elementwise().kind);
    expect(native.result.config.training.elementwise).toBe(elementwise().kind);
    expect(native.result.config.training.elementwiseReason).toMatch(/element-wise kernels/);
    expect(wasm.result.config.training.backend).toBe('wasm');
    expect(native.losses).toHaveLength(3);
    native.losses.flat().forEach((l, i) => expect(l).toBeCloseTo(wasm.losses.flat()[i]!, 3));
    // Two threads on BLAS: the workers load the same library and give the same training up to rounding (no dropout in tiny).
    const two = await run('blas', 2);
    expect(two.result.config.training.threads).toBe(2);
    two.losses.flat().forEach((l, i) => expect(l).toBeCloseTo(native.losses.flat()[i]!, 3));
  });

  it('refuses an explicit BLAS library that does not load, naming it', async () => {
    await expect(
      trainLstm(data, {
        modelDir: await tempDir(),
        architecture: tiny.architecture,
        training: { ...tiny.training, epochs: 1, maxStepsPerEpoch: 1 },
        backend: 'blas',
        blasLibrary: '/nonexistent/libopenblas.so',
      }),
    ).rejects.toThrow(/\/nonexistent\/libopenblas\.so did not load/);
  });
});

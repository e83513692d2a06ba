import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../common/errors';
import { Rng } from '../../common/random';
import { transformerWeightShapes } from '../../common/models/transformer';
import { selectTensorBackend } from '../tensor/backend';
import { blas } from '../tensor/blas';
import { readWeights } from '../models/weights';
import type { TransformerConfig } from '../models/transformer/config';
import type { TransformerTrainingData } from './trainTransformer';
import { trainTransformer } from './trainTransformer';
import { performanceTranspositions } from './windows';

/** Pieces of a learnable "language": rising runs of four from random starts. */
function fixture(vocab = 20): TransformerTrainingData {
  const rng = new Rng(3);
  const piece = (n: number): Uint16Array => {
    const out: number[] = [];
    while (out.length < n) {
      const s = rng.int(vocab - 4);
      for (let i = 0; i < 4; i++) out.push(s + i);
    }
    return Uint16Array.from(out.slice(0, n));
  };
  return {
    vocab: {
      kind: 'performance',
      tokens: Array.from({ length: vocab }, (_, i) => `T${i}`),
      counts: new Array(vocab).fill(1),
    },
    pieces: [
      ...Array.from({ length: 6 }, (_, i) => ({
        id: `train${i}`,
        split: 'train' as const,
        tokens: piece(300),
      })),
      ...Array.from({ length: 2 }, (_, i) => ({
        id: `valid${i}`,
        split: 'valid' as const,
        tokens: piece(200),
      })),
    ],
  };
}

let tmp: string;
beforeAll(async () => {
  await selectTensorBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-transformer-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const settings = {
  epochs: 4,
  maxStepsPerEpoch: 8,
  batchSize: 8,
  learningRate: 0.01,
  warmupSteps: 4,
  patience: 10,
};

describe('trainTransformer', () => {
  it('learns below the unigram baseline, writes a model folder and leaks no tensors across epochs', async () => {
    const dir = path.join(tmp, 'learn');
    const tensors: number[] = [];
    const result = await trainTransformer(fixture(), {
      modelPath: dir,
      preset: 'tiny',
      training: settings,
      onProgress: (e) => {
        if (e.stage.startsWith('validate')) tensors.push(tf.memory().numTensors);
      },
    });
    expect(result.epochs).toBe(4);
    expect(result.validNll).toBeLessThan(result.unigramNll * 0.8);
    // Flat across epochs: the same number of live tensors after every validation.
    expect(new Set(tensors).size).toBe(1);
    const config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8')) as TransformerConfig;
    expect(config.format).toBe('cadenza-transformer');
    expect(config.metrics.validNll).toBeCloseTo(result.validNll, 6);
    expect(config.architecture.vocabSize).toBe(20);
    const log = (await fs.readFile(path.join(dir, 'training-log.jsonl'), 'utf8')).trim().split('\n');
    expect(log.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      'start',
      'epoch',
      'epoch',
      'epoch',
      'epoch',
      'stop',
    ]);
    // Training writes the weights; model.onnx only comes from an explicit export (onnx/modelFolder.ts).
    await expect(fs.access(path.join(dir, 'model.onnx'))).rejects.toThrow();
  }, 240_000);

  it('gives the same loss curve on BLAS and on wasm (within float tolerance) and records the provider', async (ctx) => {
    if (blas().kind !== 'blas') {
      if (process.env.CI === 'true') throw new Error('No BLAS in CI');
      console.warn('[skip] no native BLAS here: the BLAS-vs-wasm curve is not compared');
      ctx.skip();
    }
    const run = async (
      backend: 'blas' | 'wasm',
    ): Promise<{ losses: number[]; valid: number[]; backend: string }> => {
      const dir = path.join(tmp, `curve-${backend}`);
      const result = await trainTransformer(fixture(), {
        modelPath: dir,
        preset: 'tiny',
        training: { ...settings, epochs: 2 },
        backend,
      });
      const log = (await fs.readFile(path.join(dir, 'training-log.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const epochs = log.filter((r) => r.type === 'epoch');
      expect(log[0]!.backend).toBe(backend);
      const config = JSON.parse(
        await fs.readFile(path.join(dir, 'config.json'), 'utf8'),
      ) as TransformerConfig;
      expect(config.training.backend).toBe(backend);
      return {
        losses: epochs.map((r) => r.trainLoss as number),
        valid: epochs.map((r) => r.validNll as number),
        backend: result.backend,
      };
    };
    const native = await run('blas');
    const wasm = await run('wasm');
    await selectTensorBackend('cpu');
    expect(native.backend).toBe('blas');
    expect(wasm.backend).toBe('wasm');
    native.losses.forEach((l, i) => expect(Math.abs(l - wasm.losses[i]!)).toBeLessThan(1e-3 * l));
    native.valid.forEach((l, i) => expect(Math.abs(l - wasm.valid[i]!)).toBeLessThan(1e-3 * l));
  }, 120_000);

  it('with two threads, computes the same gradients as one (no dropout, no transposition): the same loss curve', async () => {
    const run = async (threads: number): Promise<number[]> => {
      const dir = path.join(tmp, `threads-${threads}`);
      await trainTransformer(fixture(), { modelPath: dir, preset: 'tiny', training: { ...settings, epochs: 2 }, threads });
      const log = (await fs.readFile(path.join(dir, 'training-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(log[0]!.threads).toBe(threads);
      return log.filter((r) => r.type === 'epoch').flatMap((r) => [r.trainLoss as number, r.validNll as number]);
    };
    const one = await run(1);
    const two = await run(2);
    expect(two).toHaveLength(4);
    two.forEach((l, i) => expect(Math.abs(l - one[i]!)).toBeLessThan(1e-4 * one[i]!));
  }, 120_000);

  it('draws a transposition per window: pitch tokens move, a window that would leave the piano stays, other tokens never change', () => {
    const vocab = {
      kind: 'performance' as const,
      tokens: [
        'NOTE_ON_60',
        'NOTE_OFF_60',
        'NOTE_ON_62',
        'NOTE_OFF_62',
        'NOTE_ON_108',
        'TIME_SHIFT_10',
        'VELOCITY_5',
      ],
      counts: [],
    };
    const [down, up] = performanceTranspositions(vocab, [-2, 2]);
    expect(Array.from(up!)).toEqual([2, 3, -1, -1, -1, 5, 6]);
    expect(Array.from(down!)).toEqual([-1, -1, 0, 1, -1, 5, 6]);
  });

  it('a cancelled run resumed from its checkpoint ends with the weights of an uninterrupted run', async () => {
    const data = fixture();
    const common = { preset: 'tiny' as const, training: { ...settings, epochs: 3 } };
    const straight = path.join(tmp, 'straight');
    const straightResult = await trainTransformer(data, { ...common, modelPath: straight });

    const interrupted = path.join(tmp, 'interrupted');
    const controller = new AbortController();
    await expect(
      trainTransformer(data, {
        ...common,
        modelPath: interrupted,
        signal: controller.signal,
        onProgress: (e) => {
          // Stop in the middle of the second epoch.
          if (e.stage === 'epoch 2/3' && e.done === 3) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    const resumed = await trainTransformer(data, { ...common, modelPath: interrupted, resume: true });
    const interruptedLog = await fs.readFile(path.join(interrupted, 'training-log.jsonl'), 'utf8');
    expect(interruptedLog).toMatch(/"reason":"cancelled"/);
    expect(interruptedLog).toMatch(/"resumed":true/);
    expect(resumed.epochs).toBe(3);
    const layout = transformerWeightShapes(
      (JSON.parse(await fs.readFile(path.join(straight, 'config.json'), 'utf8')) as TransformerConfig)
        .architecture,
    );
    // The loop's optimizer state, data order and dropout seeds are all in the checkpoint: bit for bit.
    const a = await readWeights(straight, layout);
    const b = await readWeights(interrupted, layout);
    expect(b).toEqual(a);
    expect(resumed.validNll).toBe(straightResult.validNll);
  }, 240_000);

  it('refuses to resume a folder with no checkpoint, naming it', async () => {
    await expect(
      trainTransformer(fixture(), { modelPath: path.join(tmp, 'nothing'), preset: 'tiny', resume: true }),
    ).rejects.toThrow(/nothing has no checkpoint/);
  });
});

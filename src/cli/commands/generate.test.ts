import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomLstmModel } from '../../core/node/onnx/randomModel';
import { runCli } from '../testing';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cadenza-cli-generate-'));
const model = path.join(tmp, 'model');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  const tokens = ['<unk>', '+3', '+6', '+12', '60:12', '62:6', '64:6', '67:3', '48.55.64:12', '72:24'];
  await writeRandomLstmModel(model, { vocabSize: tokens.length, window: 6, embedding: 4, lstmUnits: [6], denseUnits: 6, dropout: 0 }, tokens);
});

const run = runCli;

describe('cadenza generate', () => {
  it('writes the pieces and prints them as JSON', async () => {
    const output = path.join(tmp, 'out');
    const r = await run('generate', '--model_path', model, '--output_path', output, '--count', '2', '--events', '30', '--seed', '4', '--json');
    expect(r.code).toBe(0);
    const pieces = JSON.parse(r.out) as { midiPath: string; sidecarPath: string; seed: number; runtime: string; stats: { events: number } }[];
    expect(pieces.map((p) => p.seed)).toEqual([4, 5]);
    for (const p of pieces) {
      expect(p.runtime).toBe('onnx');
      expect(p.stats.events).toBe(30);
      expect(existsSync(p.midiPath)).toBe(true);
      expect(JSON.parse(readFileSync(p.sidecarPath, 'utf8')).seed).toBe(p.seed);
    }
  });

  it('prints one line per piece without --json', async () => {
    const r = await run('generate', '--model_path', model, '--output_path', path.join(tmp, 'out-text'), '--events', '12', '--seed', '9', '--quiet');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/piece-9\.mid {2}12 events \(\d+ tokens\)/);
  });

  it('exits with 2 and names the flag for a bad option', async () => {
    for (const args of [['--top-p', '2'], ['--memory', '1.5'], ['--temperature', 'hot'], ['--runtime', 'gpu'], ['--engine', 'fast'], ['--threads', '0'], ['--count', '0'], ['--events', '10', '--seconds', '5']]) {
      const r = await run('generate', '--model_path', model, '--output_path', path.join(tmp, 'out-bad'), ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(args[0] === '--events' ? /--events or --seconds/ : new RegExp(args[0]!));
    }
    expect(existsSync(path.join(tmp, 'out-bad'))).toBe(false);
  });

  it('exits with 2 (usage) and names the flag and the folder when the model is missing', async () => {
    const r = await run('generate', '--model_path', path.join(tmp, 'nowhere'), '--output_path', path.join(tmp, 'out-missing'));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`cadenza: --model_path names ${path.join(tmp, 'nowhere')}, which does not exist.\n`);
  });
});

describe('cadenza export-onnx', () => {
  it('writes model.onnx into the model folder', async () => {
    const r = await run('export-onnx', '--model_path', model, '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out) as { path: string; bytes: number; opset: number };
    expect(info.path).toBe(path.join(model, 'model.onnx'));
    expect(readFileSync(info.path).length).toBe(info.bytes);
  });
});

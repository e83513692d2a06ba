import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IoError } from '../core/common/errors';
import { clearTrainingOutputs, noteModelIsFolder, requireFolderTarget } from './paths';

describe('CLI output paths', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-paths-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a file, or a path under one, up front in one sentence naming it', () => {
    const file = path.join(dir, 'out.txt');
    writeFileSync(file, 'x');
    expect(() => requireFolderTarget('--output_path', file)).toThrow(IoError);
    expect(() => requireFolderTarget('--output_path', file)).toThrow(
      `--output_path names ${file}, which is a file: name a folder (it is made when missing).`,
    );
    expect(() => requireFolderTarget('--output_path', path.join(file, 'a', 'b'))).toThrow(
      `but ${file} is a file`,
    );
    expect(() => requireFolderTarget('--output_path', path.join(dir, 'new', 'folder'))).not.toThrow();
    expect(() => requireFolderTarget('--output_path', dir)).not.toThrow();
  });

  it('says once that a model is a folder, for a file-like name about to be made', () => {
    const lines: string[] = [];
    const target = path.join(dir, 'lstm_model.pth');
    expect(noteModelIsFolder('--model_path', target, (l) => lines.push(l))).toBe(true);
    expect(lines).toEqual([
      `cadenza: a model is a folder, so --model_path ${target} will be made as a folder (config.json, weights.bin and the training log inside).\n`,
    ]);
    mkdirSync(target);
    expect(noteModelIsFolder('--model_path', target, (l) => lines.push(l))).toBe(false);
    expect(noteModelIsFolder('--model_path', path.join(dir, 'models', 'lstm'), (l) => lines.push(l))).toBe(
      false,
    );
    expect(lines).toHaveLength(1);
  });

  it('--force clears what training left and nothing else', async () => {
    for (const name of ['config.json', 'weights.bin', 'weights.json', 'training-log.jsonl', 'notes.txt'])
      writeFileSync(path.join(dir, name), 'x');
    mkdirSync(path.join(dir, 'checkpoint'));
    writeFileSync(path.join(dir, 'checkpoint', 'state.json'), '{}');
    expect((await clearTrainingOutputs(dir)).sort()).toEqual([
      'checkpoint',
      'config.json',
      'training-log.jsonl',
      'weights.bin',
      'weights.json',
    ]);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});

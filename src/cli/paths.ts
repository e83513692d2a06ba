/**
 * Output folders the CLI checks before any work: a path that is a file, or lies under one, fails
 * at once with one sentence naming it (not after the work, naming a temp file); a model path that
 * looks like a file name is said, once, to become a folder; `--force` clears a model folder of
 * what an earlier training left there.
 */
import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { IoError } from '../core/common/errors';

/** Throws `IoError` naming `flag` and the file when `target` is a file or lies under one. */
export function requireFolderTarget(flag: string, target: string): void {
  const resolved = path.resolve(target);
  if (existsSync(resolved)) {
    if (!statSync(resolved).isDirectory())
      throw new IoError(
        `${flag} names ${target}, which is a file: name a folder (it is made when missing).`,
        { path: target, field: flag },
      );
    return;
  }
  for (let dir = path.dirname(resolved); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (!existsSync(dir)) continue;
    if (!statSync(dir).isDirectory())
      throw new IoError(`${flag} names ${target}, but ${dir} is a file, so no folder can be made there.`, {
        path: dir,
        field: flag,
      });
    return;
  }
}

/** File name endings other tools give models; Cadenza's models are folders. */
const FILE_LIKE_MODEL = /\.(pth|pt|h5|hdf5|keras|ckpt|pkl|onnx|bin|json)$/i;

/**
 * Says once, when the folder is about to be made, that a model is a folder: `--model_path
 * models/lstm_model.pth` (the original tool's file) becomes a folder of that name. Nothing is
 * said for a folder that already exists or a name without a file ending.
 */
export function noteModelIsFolder(flag: string, target: string, write: (line: string) => void): boolean {
  if (!FILE_LIKE_MODEL.test(target) || existsSync(target)) return false;
  write(
    `cadenza: a model is a folder, so ${flag} ${target} will be made as a folder (config.json, weights.bin and the training log inside).\n`,
  );
  return true;
}

/** What training writes into a model folder; `--force` removes exactly these. */
export const TRAINING_OUTPUTS = [
  'checkpoint',
  'checkpoint.old',
  'checkpoint.tmp',
  'config.json',
  'weights.bin',
  'weights.json',
  'training-log.jsonl',
  'run.json',
] as const;

/**
 * Clears what an earlier training left in `dir` (checkpoint, weights, config, log), so a fresh
 * run keeps nothing stale; anything else in the folder stays. Answers the names removed.
 */
export async function clearTrainingOutputs(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of TRAINING_OUTPUTS) {
    const p = path.join(dir, name);
    if (!existsSync(p)) continue;
    await fs.rm(p, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

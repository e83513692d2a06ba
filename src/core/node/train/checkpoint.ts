/**
 * Training checkpoints: a folder holding `state.json` (any JSON the trainer needs) and named
 * groups of float32 tensors (`<group>.bin`, listed in state.json). The whole folder is replaced
 * atomically: written beside the old one, then swapped in by rename, so a crash or Ctrl-C at any
 * moment leaves either the previous checkpoint or the new one. Model-agnostic: any trainer whose
 * parameters are `Map<string, Float32Array>` can use it.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError } from '../../common/errors';
import { ioError, writeFileAtomic, writeJsonAtomic } from '../fs/atomic';

/** Named float32 tensors. */
export type TensorGroup = Map<string, Float32Array>;

/** A checkpoint in memory. */
export interface Checkpoint<S> {
  /** The trainer's own state (epoch, step, history…), stored as JSON. */
  state: S;
  /** Tensor groups by name, e.g. weights, best, optimizer m and v. */
  tensors: Record<string, TensorGroup>;
}

interface StoredState<S> {
  state: S;
  groups: Record<string, { name: string; length: number; offset: number }[]>;
}

/**
 * Writes `checkpoint` to the folder `dir`, replacing what was there in one rename. A failure (a
 * full disk) removes the half-written `dir.tmp` and leaves the previous checkpoint as it was.
 */
export async function saveCheckpoint<S>(dir: string, checkpoint: Checkpoint<S>): Promise<void> {
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  try {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.mkdir(tmp, { recursive: true });
  } catch (error) {
    await removeQuietly(tmp);
    throw ioError(error, tmp, 'create');
  }
  try {
    const groups: StoredState<S>['groups'] = {};
    for (const [group, tensors] of Object.entries(checkpoint.tensors)) {
      const total = [...tensors.values()].reduce((n, t) => n + t.length, 0);
      const bin = new Float32Array(total);
      const list: { name: string; length: number; offset: number }[] = [];
      let offset = 0;
      for (const [name, t] of tensors) {
        bin.set(t, offset);
        list.push({ name, length: t.length, offset });
        offset += t.length;
      }
      groups[group] = list;
      // Float32Array bytes are little-endian on every platform Node supports.
      await writeFileAtomic(path.join(tmp, `${group}.bin`), new Uint8Array(bin.buffer));
    }
    // Written last: a folder with state.json is complete.
    await writeJsonAtomic(path.join(tmp, 'state.json'), {
      state: checkpoint.state,
      groups,
    } satisfies StoredState<S>);
  } catch (error) {
    await removeQuietly(tmp);
    throw error;
  }
  try {
    await swapIn(tmp, dir, old);
  } catch (error) {
    // The newest complete checkpoint is still in `dir` or `dir.old`; the new one is given up.
    await removeQuietly(tmp);
    throw ioError(error, dir, 'write');
  }
}

/**
 * Moves the complete folder `tmp` to `dir`. Whichever of `dir` and `old` holds the newest
 * complete checkpoint is kept until `tmp` is in place, so a crash between any two steps leaves
 * one that `loadCheckpoint` finds.
 */
async function swapIn(tmp: string, dir: string, old: string): Promise<void> {
  if (isComplete(dir)) {
    // `old` is an older checkpoint than `dir` (or a leftover of it): only `dir` needs keeping.
    await fs.rm(old, { recursive: true, force: true });
    await fs.rename(dir, old);
  } else {
    // An interrupted swap left the newest checkpoint in `old`; whatever is in `dir` is not one.
    await fs.rm(dir, { recursive: true, force: true });
  }
  await fs.rename(tmp, dir);
  // The new checkpoint is in place; an `old` that cannot be removed now goes at the next save.
  await removeQuietly(old);
}

function isComplete(dir: string): boolean {
  return existsSync(path.join(dir, 'state.json'));
}

async function removeQuietly(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
}

/** Which folder holds the newest complete checkpoint: `dir`, or `dir.old` if a swap was interrupted. */
function checkpointDir(dir: string): string | undefined {
  if (isComplete(dir)) return dir;
  if (isComplete(`${dir}.old`)) return `${dir}.old`;
  return undefined;
}

/** Whether `dir` (or its interrupted-swap twin) holds a checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return checkpointDir(dir) !== undefined;
}

/** Reads the checkpoint in `dir`; throws `DataError` naming the file when it is missing or damaged. */
export async function loadCheckpoint<S>(dir: string): Promise<Checkpoint<S>> {
  const from = checkpointDir(dir);
  if (!from) throw new DataError(`There is no checkpoint in ${dir} to resume from.`, { path: dir });
  const stateFile = path.join(from, 'state.json');
  let stored: StoredState<S>;
  try {
    stored = JSON.parse(await fs.readFile(stateFile, 'utf8')) as StoredState<S>;
  } catch (error) {
    throw new DataError(`${stateFile} is not a readable checkpoint state.`, {
      path: stateFile,
      cause: error,
    });
  }
  const tensors: Record<string, TensorGroup> = {};
  for (const [group, list] of Object.entries(stored.groups)) {
    const file = path.join(from, `${group}.bin`);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (error) {
      throw new DataError(`${file} is missing from the checkpoint.`, { path: file, cause: error });
    }
    const need = list.reduce((n, t) => Math.max(n, t.offset + t.length), 0) * 4;
    if (bytes.byteLength < need)
      throw new DataError(
        `${file} holds ${bytes.byteLength} bytes but the checkpoint needs ${need}; it is truncated.`,
        {
          path: file,
        },
      );
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    tensors[group] = new Map(list.map((t) => [t.name, all.slice(t.offset, t.offset + t.length)]));
  }
  return { state: stored.state, tensors };
}

/** The training log: one JSON object per line in `training-log.jsonl`, appended as training goes. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ioError } from '../fs/atomic';

/** One line of the log. `type` says which: start, epoch, stop, end. */
export interface TrainingLogEntry {
  type: 'start' | 'epoch' | 'stop' | 'end';
  /** When it was written (ISO 8601). */
  time: string;
  [key: string]: unknown;
}

/** Appends `entry` (with the time filled in) as one line to `file`. */
export async function appendTrainingLog(file: string, entry: Omit<TrainingLogEntry, 'time'>): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.appendFile(file, JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');
  } catch (error) {
    throw ioError(error, file, 'write');
  }
}

/** Reads every entry of a log (an absent file is an empty log). */
export async function readTrainingLog(file: string): Promise<TrainingLogEntry[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(error, file, 'read');
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TrainingLogEntry);
}

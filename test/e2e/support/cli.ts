/**
 * Runs the real `cadenza` command (`node bin/cadenza.mjs …`) in a child process, as a user
 * would, and collects its exit code, stdout and stderr, for the CLI end-to-end tests.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding bin/cadenza.mjs). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The `cadenza` entry point. */
export const CADENZA_BIN = path.join(REPO_ROOT, 'bin', 'cadenza.mjs');

/** What one run of the CLI gave. */
export interface CliRun {
  /** The arguments after `cadenza`. */
  args: string[];
  /** Exit status; null when a signal ended the process. */
  code: number | null;
  /** The signal that ended the process, if one did (e.g. SIGSEGV from a native crash). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `cadenza <args>` to completion (killed after `timeoutMs`) and returns what it printed. */
export function runCadenza(
  args: string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CADENZA_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      // No colour or TTY tricks: the tests read what a pipe gets.
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ args, code, signal, stdout, stderr });
    });
  });
}

/** A readable account of a run, for assertion messages: the command, its exit and its stderr. */
export function describeRun(run: CliRun): string {
  return `cadenza ${run.args.join(' ')} exited ${run.code ?? run.signal}\n--- stderr ---\n${run.stderr.slice(-3000)}`;
}

/** Parses stdout as one JSON document, failing with the run's account when it is not. */
export function jsonOf<T = unknown>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not one JSON document.\n${describeRun(run)}\n--- stdout ---\n${run.stdout.slice(0, 2000)}`,
    );
  }
}

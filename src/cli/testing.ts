/** Test support: runs the CLI in-process and captures what it prints. */
import { vi } from 'vitest';
import { main } from './main';

/** What one CLI run did. */
export interface CliRun {
  /** Exit code: 0 ok, 1 failure, 2 usage. */
  code: number;
  /** Everything written to stdout. */
  out: string;
  /** Everything written to stderr. */
  err: string;
}

/** Runs `cadenza <args>` in this process, capturing stdout and stderr. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'cadenza', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

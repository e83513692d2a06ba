/**
 * The benchmark runner. Each `bench/<stage>.bench.ts` default-exports an async function that
 * returns rows of figures; the runner prints them with the machine, so numbers are never
 * read without knowing where they came from. `npm run bench -- train` runs only matching files.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One measured figure. */
export interface BenchRow {
  /** What was measured, e.g. 'preprocess 291 files (both tokenizers)'. */
  name: string;
  /** The value. */
  value: number;
  /** Its unit, e.g. 'files/s', 'ms/step', 'x realtime'. */
  unit: string;
  /** Anything a reader needs to compare it (config, backend, reference figure). */
  note?: string;
  /** The figure as one JSON object, printed on its own line with `--json` (rows without it are left out there). */
  json?: Record<string, unknown>;
}

/** A benchmark file's default export. */
export type Bench = () => Promise<BenchRow[]>;

/** A one-line description of this machine. */
export function machineInfo(): string {
  const cpus = os.cpus();
  return `${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export async function runBenchmarks(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const filters = args.filter((a) => a !== '--json');
  // With --json, stdout carries only the JSON lines; the human-readable lines go to stderr.
  const say = json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  say(`# Cadenza benchmarks, ${new Date().toISOString()}`);
  say(`# machine: ${machineInfo()}`);
  say(`# load average at start (1, 5, 15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  let failed = 0;
  for (const f of files) {
    say(`\n## ${f.replace('.bench.ts', '')}`);
    try {
      const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { default: Bench };
      for (const row of await mod.default()) {
        const v = Math.abs(row.value) >= 100 ? row.value.toFixed(0) : row.value.toPrecision(3);
        say(`${row.name.padEnd(60)} ${v.padStart(10)} ${row.unit}${row.note ? `  (${row.note})` : ''}`);
        if (json && row.json) console.log(JSON.stringify(row.json));
      }
    } catch (error) {
      failed++;
      say(`FAILED: ${(error as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}

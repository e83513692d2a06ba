/**
 * Corpus import: the shared 291-file piano corpus into a fresh temporary data folder (read,
 * hash, parse, metadata, blob writes with fsync, one index write), a re-import (all
 * duplicates), a rescan, and parsing alone.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CorpusStore } from '../src/core/node/corpus/store';
import { parseMidi } from '../src/core/common/midi/read';
import { sharedCorpusDir } from '../src/core/node/paths';
import { listMidiFiles } from '../src/core/node/testing/sharedCorpus';
import type { BenchRow } from './run';

export default async function bench(): Promise<BenchRow[]> {
  const corpus = sharedCorpusDir();
  const files = listMidiFiles(corpus);
  if (files.length === 0) throw new Error(`The shared corpus is missing at ${corpus}.`);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-bench-corpus-'));
  try {
    const store = await CorpusStore.open(tmp);
    let t = performance.now();
    const report = await store.import([corpus]);
    const importSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await store.import([corpus]);
    const reimportSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await store.rescan();
    const rescanSeconds = (performance.now() - t) / 1000;

    const bytes = await Promise.all(files.map((f) => fs.readFile(f)));
    let notes = 0;
    t = performance.now();
    for (let i = 0; i < files.length; i++)
      notes += parseMidi(bytes[i]!, { path: files[i] }).song.notes.length;
    const parseSeconds = (performance.now() - t) / 1000;

    const n = files.length;
    return [
      {
        name: `import ${n} files into an empty corpus`,
        value: importSeconds,
        unit: 's',
        note: `${report.added.length} added`,
      },
      { name: 'import throughput', value: n / importSeconds, unit: 'files/s' },
      { name: `re-import ${n} files (all duplicates)`, value: reimportSeconds, unit: 's' },
      { name: `rescan ${n} pieces (hash + re-parse)`, value: rescanSeconds, unit: 's' },
      {
        name: 'parseMidi alone (sustain applied)',
        value: (parseSeconds * 1000) / n,
        unit: 'ms/file',
        note: `${notes} notes`,
      },
      { name: 'parseMidi note throughput', value: notes / parseSeconds, unit: 'notes/s' },
    ];
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

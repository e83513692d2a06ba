/**
 * Preprocessing the shared piano corpus (291 files) with both tokenizers, end to end: read,
 * parse, tokenize, split, vocabularies, encode, write. Reference: music21, the original tool's
 * parser, needs 958 s for the 337-file collection on the dev machine (0.35 files/s); the target
 * is 100x that, the whole corpus in under 10 s.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { preprocess } from '../src/core/node/preprocess/preprocess';
import { sharedCorpusDir } from '../src/core/node/paths';
import type { BenchRow } from './run';

export default async function bench(): Promise<BenchRow[]> {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-bench-pre-'));
  try {
    const rows: BenchRow[] = [];
    // One warm-up run (JIT), then the measured one.
    await preprocess({ inputPath: sharedCorpusDir(), outputPath: out, kinds: ['notes'] });
    const r = await preprocess({ inputPath: sharedCorpusDir(), outputPath: out });
    const tokens = r.results.reduce((s, k) => s + k.manifest.counts.tokens, 0);
    const t = r.results[0]!.manifest.timings;
    rows.push(
      {
        name: `preprocess ${r.pieces} files (notes + performance)`,
        value: r.seconds,
        unit: 's',
        note: 'target < 10 s',
      },
      {
        name: 'preprocess files/s',
        value: r.files / r.seconds,
        unit: 'files/s',
        note: 'music21: 0.35 files/s',
      },
      { name: 'preprocess tokens/s (both tokenizers)', value: tokens / r.seconds, unit: 'tokens/s' },
      { name: 'phase: read + parse MIDI', value: t.readSeconds, unit: 's' },
      { name: 'phase: tokenize + vocabularies + encode', value: t.tokenizeSeconds, unit: 's' },
    );
    for (const k of r.results)
      rows.push({
        name: `${k.kind}: tokens, vocabulary ${k.manifest.counts.vocabSize}`,
        value: k.manifest.counts.tokens,
        unit: 'tokens',
        note: `exact events ${(k.manifest.coverage.exactEventShare * 100).toFixed(1)}%, split exactly ${(k.manifest.coverage.decomposedEventShare * 100).toFixed(1)}%, unknown tokens ${(k.manifest.coverage.unknownTokenShare * 100).toFixed(3)}%`,
      });
    rows.push({
      name: 'machine load (1-min average)',
      value: os.loadavg()[0]!,
      unit: '',
      note: `${os.cpus().length} cores`,
    });
    return rows;
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
}

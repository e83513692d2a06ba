/**
 * Chooses a composer's default piece-memory share (`memory.sampleScale` in config.json): for each
 * share, `scripts/composer-figures.ts` generates pieces at defaults otherwise, and the share whose
 * pieces repeat themselves most like the model's **training** pieces wins (the sum of relative
 * gaps of the median distinct 4-grams and the median longest self-repeat; held-out pieces play no
 * part in the choice). Usage:
 *   npx tsx scripts/memory-sweep.ts --model <dir> [--shares 0.8,0.85,0.9] [--pieces 20] [--seconds 60] [--write]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../src/core/node/fs/atomic';
import { readComposerConfig } from '../src/core/node/models/composer/config';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    shares: { type: 'string', default: '0.8,0.85,0.9' },
    pieces: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '60' },
    write: { type: 'boolean', default: false },
  },
});
if (!args.model) {
  process.stderr.write('memory-sweep: --model <composer folder> is required.\n');
  process.exit(2);
}
const shares = args.shares!.split(',').map(Number);
if (shares.some((s) => !(s >= 0 && s <= 1))) {
  process.stderr.write(`memory-sweep: --shares must be numbers from 0 to 1, not "${args.shares}".\n`);
  process.exit(2);
}
const config = await readComposerConfig(args.model);
if (!config.memory) {
  process.stderr.write(`memory-sweep: ${args.model} has no piece memory; fit one first (scripts/fit-composer-memory.ts).\n`);
  process.exit(2);
}
interface Feature {
  id: string;
  generated: { median: number; overlap: number };
  'corpus ceiling (training pieces)': { median: number };
}
const out = mkdtempSync(path.join(os.tmpdir(), 'cadenza-memory-sweep-'));
const rows: { share: number; distinct4: number; repeat: number; gap: number; train: { distinct4: number; repeat: number } }[] = [];
for (const share of shares) {
  const dir = path.join(out, String(share));
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/composer-figures.ts', '--model', args.model, '--memory', String(share), '--pieces', args.pieces!, '--seconds', args.seconds!, '--max-targets', '200', '--out', dir],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const figures = JSON.parse(readFileSync(path.join(dir, 'figures.json'), 'utf8')) as { features: Feature[] };
  const f = (id: string): Feature => figures.features.find((x) => x.id === id)!;
  const d = f('distinct4');
  const r = f('longestInternalRepeat');
  const train = { distinct4: d['corpus ceiling (training pieces)'].median, repeat: r['corpus ceiling (training pieces)'].median };
  const gap = Math.abs(d.generated.median - train.distinct4) / train.distinct4 + Math.abs(r.generated.median - train.repeat) / train.repeat;
  rows.push({ share, distinct4: d.generated.median, repeat: r.generated.median, gap, train });
  console.log(`share ${share}: distinct 4-grams ${d.generated.median.toFixed(2)} (training ${train.distinct4.toFixed(2)}), longest self-repeat ${r.generated.median} (training ${train.repeat}), gap ${gap.toFixed(3)}`);
}
const best = rows.reduce((a, b) => (b.gap < a.gap ? b : a));
console.log(`chosen share: ${best.share}`);
if (args.write) {
  await writeJsonAtomic(path.join(args.model, 'config.json'), { ...config, memory: { ...config.memory, sampleScale: best.share } });
  console.log(`wrote memory.sampleScale = ${best.share} into ${path.join(args.model, 'config.json')}`);
}

/**
 * Rendering speed (seconds of audio per second of wall time) for the native and wasm engines,
 * side by side with the `fluidsynth` CLI rendering the same files one process per file, for a
 * small and a large SoundFont. CPU seconds are shown too: on a shared machine they are steadier.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedCorpusDir } from '../src/core/node/paths';
import { bundledSoundFontPath, type BundledSoundFont } from '../src/core/node/render/soundfont';
import { synthesizeFiles } from '../src/core/node/render/synthesize';
import type { BenchRow } from './run';

/** A fixed set of corpus pieces, about 3 minutes of music from three composers. */
const FILES = [
  'Chopin/chpn-p22.mid',
  'Clementi/clementi_opus36_1_3.mid',
  'Haydn/haydn_8_4.mid',
  'Haydn/haydn_9_3.mid',
];

/** CPU seconds of this process's finished children (Linux /proc; 0 elsewhere). */
function childrenCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // Fields 16 and 17 (cutime, cstime) counted from 1 over the whole line; after "pid (comm) " they are 13 and 14.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export default async function bench(): Promise<BenchRow[]> {
  const corpus = sharedCorpusDir();
  const files = FILES.map((f) => path.join(corpus, f));
  const rows: BenchRow[] = [];
  const out = mkdtempSync(path.join(os.tmpdir(), 'cadenza-bench-render-'));
  let cli = true;
  try {
    execFileSync('fluidsynth', ['--version'], { stdio: 'pipe' });
  } catch {
    cli = false;
  }
  try {
    const soundFonts: BundledSoundFont[] = ['TimGM6mb', 'MuseScore_General_Lite'];
    for (const name of soundFonts) {
      const sf = bundledSoundFontPath(name);
      const modes = [
        { engine: 'native', jobs: 1 },
        { engine: 'native', jobs: Math.min(os.availableParallelism(), files.length) },
        { engine: 'wasm', jobs: 1 },
      ] as const;
      for (const { engine, jobs } of modes) {
        const cpu0 = ownCpuSeconds() + childrenCpuSeconds();
        const t0 = performance.now();
        // maxTailSeconds 0 renders exactly what the CLI renders, so the figures compare like for like.
        const report = await synthesizeFiles(files, path.join(out, `${engine}-${jobs}`), {
          engine,
          jobs,
          soundfontPath: sf,
          gain: 0.2,
          maxTailSeconds: 0,
          sidecar: false,
        });
        const wall = (performance.now() - t0) / 1000;
        // Worker threads count in this process's CPU time.
        const cpu = ownCpuSeconds() + childrenCpuSeconds() - cpu0;
        rows.push({
          name: `${engine} batch, ${files.length} files, ${jobs === 1 ? '1 thread' : `${jobs} worker threads`}, ${name}`,
          value: report.audioSeconds / wall,
          unit: 'x realtime',
          note: `${report.audioSeconds.toFixed(0)} s of audio in ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU (${(report.audioSeconds / cpu).toFixed(0)}x per CPU second), SoundFont load included`,
        });
      }
      if (cli) {
        const cpu0 = childrenCpuSeconds();
        const t0 = performance.now();
        for (const [i, file] of files.entries())
          spawnSync(
            'fluidsynth',
            ['-q', '-ni', '-g', '0.2', '-F', path.join(out, `cli-${i}.wav`), sf, file],
            { stdio: 'ignore' },
          );
        const wall = (performance.now() - t0) / 1000;
        const cpu = childrenCpuSeconds() - cpu0;
        // 16-bit stereo at 44.1 kHz after a 44-byte header.
        const audioSeconds = files.reduce(
          (sum, _, i) => sum + (statSync(path.join(out, `cli-${i}.wav`)).size - 44) / 4 / 44100,
          0,
        );
        rows.push({
          name: `fluidsynth CLI, one process per file, ${name}`,
          value: audioSeconds / wall,
          unit: 'x realtime',
          note: `${audioSeconds.toFixed(0)} s of audio in ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU (${(audioSeconds / cpu).toFixed(0)}x per CPU second)`,
        });
      } else
        rows.push({
          name: `fluidsynth CLI, ${name}`,
          value: NaN,
          unit: 'x realtime',
          note: 'fluidsynth is not installed',
        });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}

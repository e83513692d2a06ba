/**
 * Batch rendering against the `fluidsynth` CLI, each run as a user runs it: `cadenza synthesize
 * --engine native --jobs N` over five corpus pieces of about three minutes, against `fluidsynth
 * -F` once per file (the peer in ../shared/peers/fluidsynth_bench.sh, same pieces), with an SF2
 * (FluidR3_GM, when installed) and the bundled SF3 (MuseScore_General_Lite, the default). Both
 * sides: gain 0.2, no tail limit, so the WAVs must be byte-identical (checked). Wall time, CPU
 * seconds and peak resident memory come from /usr/bin/time; the two sides alternate (ours first,
 * then the CLI first, ...) and medians are shown, with the load average around each run,
 * because the machine is shared. Settings: BENCH_RUNS (default 3), BENCH_JOBS (default 2),
 * BENCH_SOUNDFONTS (space-separated paths).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, sharedCorpusDir } from '../src/core/node/paths';
import { bundledSoundFontPath } from '../src/core/node/render/soundfont';
import type { BenchRow } from './run';

/** The peer's five pieces nearest the corpus median (189.6 s); the fifth, absent here, gives way to the next nearest. */
const FILES = [
  'Mozart/mz_331_3.mid',
  'Bach/bach_847.mid',
  'Tchaikovsky/ty_august.mid',
  'Granados/gra_esp_3.mid',
  ['Debussy/debussy_cc_2.mid', 'Rachmaninoff/rac_op23_2.mid'],
] as const;

const TIME = '/usr/bin/time';

/** What one command cost. */
interface Cost {
  wallSeconds: number;
  cpuSeconds: number;
  /** Peak resident memory of the process, in MiB. */
  peakMib: number;
}

/** Runs a command under /usr/bin/time; throws with its stderr when it fails. */
function timed(command: string, args: string[]): Cost {
  const out = path.join(os.tmpdir(), `cadenza-bench-time-${process.pid}.txt`);
  const r = spawnSync(TIME, ['-f', '%e %U %S %M', '-o', out, command, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(`${path.basename(command)} failed: ${r.stderr.trim().split('\n').pop()}`);
  const [wall, user, sys, kb] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(out, { force: true });
  return { wallSeconds: wall!, cpuSeconds: user! + sys!, peakMib: kb! / 1024 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const load = (): string => os.loadavg()[0]!.toFixed(1);

/** The corpus file for `name` (the peer's `midis/` layout or the flat one), or undefined. */
function corpusFile(corpus: string, name: string): string | undefined {
  return [path.join(corpus, 'midis', name), path.join(corpus, name)].find((f) => existsSync(f));
}

export default async function bench(): Promise<BenchRow[]> {
  if (!existsSync(TIME))
    return [{ name: 'render vs fluidsynth CLI', value: NaN, unit: 'x', note: `${TIME} is not installed` }];
  try {
    execFileSync('fluidsynth', ['--version'], { stdio: 'pipe' });
  } catch {
    return [{ name: 'render vs fluidsynth CLI', value: NaN, unit: 'x', note: 'fluidsynth is not installed' }];
  }
  const corpus = sharedCorpusDir();
  const files = FILES.map((f) => {
    const found = (typeof f === 'string' ? [f] : f).map((n) => corpusFile(corpus, n)).find(Boolean);
    if (!found) throw new Error(`${String(f)} is not in ${corpus}`);
    return found;
  });
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const jobs = Number(process.env.BENCH_JOBS ?? 2);
  const soundFonts = process.env.BENCH_SOUNDFONTS?.split(' ').filter(Boolean) ?? [
    ...(existsSync('/usr/share/sounds/sf2/FluidR3_GM.sf2') ? ['/usr/share/sounds/sf2/FluidR3_GM.sf2'] : []),
    bundledSoundFontPath('MuseScore_General_Lite'),
  ];
  const cadenza = path.join(projectRoot(), 'bin', 'cadenza.mjs');
  const rows: BenchRow[] = [];
  const out = mkdtempSync(path.join(os.tmpdir(), 'cadenza-bench-render-'));
  try {
    for (const sf of soundFonts) {
      const name =
        path.basename(sf).replace(/\.sf[23](\.wasm)?$/, '') + (/\.sf3/.test(sf) ? ' (SF3)' : ' (SF2)');
      const ours: Cost[] = [];
      const cli: Cost[] = [];
      const loads: string[] = [];
      let audioSeconds = 0;
      let identical = true;
      const runOurs = (): void => {
        rmSync(path.join(out, 'ours'), { recursive: true, force: true });
        const before = load();
        ours.push(
          timed(process.execPath, [
            cadenza,
            'synthesize',
            '--midi_path',
            ...files,
            '--output_path',
            path.join(out, 'ours'),
            '--engine',
            'native',
            '--jobs',
            String(jobs),
            '--soundfont',
            sf,
            '--gain',
            '0.2',
            '--max-tail',
            '0',
            '--quiet',
          ]),
        );
        loads.push(`ours ${before}-${load()}`);
      };
      const runCli = (): void => {
        const before = load();
        const each = files.map((f) =>
          timed('fluidsynth', [
            '-ni',
            '-q',
            '-g',
            '0.2',
            '-r',
            '44100',
            '-F',
            path.join(out, `cli-${path.basename(f, '.mid')}.wav`),
            sf,
            f,
          ]),
        );
        cli.push({
          wallSeconds: each.reduce((s, c) => s + c.wallSeconds, 0),
          cpuSeconds: each.reduce((s, c) => s + c.cpuSeconds, 0),
          peakMib: Math.max(...each.map((c) => c.peakMib)),
        });
        loads.push(`CLI ${before}-${load()}`);
      };
      for (let r = 0; r < runs; r++) {
        if (r % 2 === 0) {
          runOurs();
          runCli();
        } else {
          runCli();
          runOurs();
        }
      }
      for (const f of files) {
        const base = path.basename(f, '.mid');
        const a = readFileSync(path.join(out, 'ours', `${base}.wav`));
        const b = readFileSync(path.join(out, `cli-${base}.wav`));
        identical &&= a.equals(b);
        audioSeconds += (b.length - 44) / 4 / 44100;
      }
      const o = {
        wall: median(ours.map((c) => c.wallSeconds)),
        cpu: median(ours.map((c) => c.cpuSeconds)),
        peak: Math.max(...ours.map((c) => c.peakMib)),
      };
      const c = {
        wall: median(cli.map((x) => x.wallSeconds)),
        cpu: median(cli.map((x) => x.cpuSeconds)),
        peak: Math.max(...cli.map((x) => x.peakMib)),
      };
      const note = (x: typeof o): string =>
        `${x.wall.toFixed(1)} s wall, ${x.cpu.toFixed(1)} s CPU, peak ${x.peak.toFixed(0)} MiB`;
      rows.push(
        {
          name: `cadenza synthesize --jobs ${jobs}, ${files.length} files, ${name}`,
          value: audioSeconds / o.wall,
          unit: 'x realtime',
          note: `${note(o)}; ${audioSeconds.toFixed(0)} s of audio, median of ${runs}`,
        },
        {
          name: `fluidsynth CLI, one process per file, ${name}`,
          value: audioSeconds / c.wall,
          unit: 'x realtime',
          note: `${note(c)} (peak of one process); WAVs ${identical ? 'byte-identical' : 'DIFFER'}`,
        },
        {
          name: `  ours / CLI throughput, ${name}`,
          value: c.wall / o.wall,
          unit: 'x (wall)',
          note: `${(c.cpu / o.cpu).toFixed(2)}x by CPU seconds; memory ${(o.peak / jobs).toFixed(0)} MiB per renderer = ${(o.peak / jobs / c.peak).toFixed(2)}x the CLI's; load ${loads.join(', ')}`,
          json: {
            bench: 'render',
            soundfont: name,
            jobs,
            runs,
            audioSeconds,
            ours: o,
            cli: c,
            identical,
            loads,
          },
        },
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}

/**
 * The composer's long form: later windows of generated pieces against the same windows of the
 * held-out real pieces (docs/MODELS.md, "Long form"):
 *
 *   nice -n 19 npx tsx scripts/longform-figures.ts --model resources/models/composer \
 *     [--corpus ../shared/corpora/piano-midi] [--out output/longform] [--pieces 16] [--seed 1] \
 *     [--seconds 180] [--windows 0-60,60-120,120-180] [--generated <folder of .mid>] \
 *     [--temperature T] [--top-p P] [--memory M] [--max-repeat N] [--memory-budget B]
 *
 * Generates `--pieces` pieces of `--seconds` s (seeds `--seed`..), or reads the .mid files of
 * `--generated` (e.g. `<out>/generated_midi` of an earlier run), cuts each into the windows
 * (`windowSong`: from the bar line at the window's start) and compares them with the same windows
 * of the held-out pieces (the corpus minus the model's `trainingPieces`) at least as long as the
 * window's end, on the composer features (docs/METRICS.md), plus notes per second and where the
 * density comes from (onsets per second and per beat, notes per onset, the left hand, note
 * lengths, empty beats; medians, outside the overlap figures). Writes
 * longform.json and longform.md under --out and keeps the generated pieces there.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compareSets, COMPOSER_FEATURES, overlapSummary } from '../src/core/common/evaluate/compare';
import { summarize } from '../src/core/common/evaluate/distributions';
import { MIDDLE_C, onsetTicks, windowSong } from '../src/core/common/evaluate/features';
import { measureSong, SCALAR_MEASURES } from '../src/core/common/evaluate/measures';
import type { PieceMeasures } from '../src/core/common/evaluate/measures';
import type { Song } from '../src/core/common/song/song';
import { durationSeconds, tempoMapOf } from '../src/core/common/song/tempo';
import { sha256Hex } from '../src/core/node/evaluate/heldOut';
import { writeFileAtomic } from '../src/core/node/fs/atomic';
import { generatePieces } from '../src/core/node/generate/generate';
import { parseMidi } from '../src/core/common/midi/read';
import { sharedCorpusDir } from '../src/core/node/paths';
import { listMidiFiles } from '../src/core/node/testing/sharedCorpus';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'resources/models/composer' },
    corpus: { type: 'string', default: sharedCorpusDir() },
    out: { type: 'string', default: 'output/longform' },
    pieces: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '180' },
    windows: { type: 'string', default: '0-60,60-120,120-180' },
    generated: { type: 'string' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    memory: { type: 'string' },
    'max-repeat': { type: 'string' },
    'memory-budget': { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`longform-figures: ${message}\n`);
  process.exit(2);
}

function wholeNumber(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${flag} must be a whole number of at least 1, not "${v}".`);
  return n;
}

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const windows = args.windows!.split(',').map((w) => {
  const [from, to] = w.split('-').map(Number);
  if (!Number.isFinite(from) || !Number.isFinite(to) || from! < 0 || to! <= from!)
    fail(`--windows takes from-to pairs in seconds, e.g. 0-60,120-180, not "${w}".`);
  return { from: from!, to: to! };
});

/** Notes per second of a window's song over the window's length. */
const notesPerSecond = (song: Song, seconds: number): number => song.notes.length / seconds;

/** Where a window's density comes from: onsets, notes per onset, the left hand, note lengths, empty beats. */
function density(song: Song, seconds: number, emptyBeatRate: number): Record<string, number> {
  const onsets = onsetTicks(song).length;
  const lengths = song.notes.map((n) => (n.endTicks - n.startTicks) / song.ppq);
  // Generated pieces are written at one tempo, real ones at theirs: per beat is the tempo-free figure.
  const beats = tempoMapOf(song).toTicks(seconds) / song.ppq;
  return {
    onsetsPerSecond: onsets / seconds,
    onsetsPerBeat: onsets / beats,
    notesPerOnset: onsets ? song.notes.length / onsets : NaN,
    leftHandNotesPerSecond: song.notes.filter((n) => n.pitch < MIDDLE_C).length / seconds,
    medianNoteQuarters: summarize(lengths).p50,
    emptyBeatRate,
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const config = JSON.parse(await readFile(path.join(args.model!, 'config.json'), 'utf8')) as {
    trainingPieces?: { sha256: string }[];
  };
  if (!config.trainingPieces) fail(`${args.model}/config.json lists no trainingPieces, so its held-out pieces are unknown.`);
  const training = new Set(config.trainingPieces.map((p) => p.sha256));
  const heldOut: { id: string; song: Song; seconds: number }[] = [];
  for (const file of listMidiFiles(args.corpus!)) {
    const bytes = await readFile(file);
    if (training.has(sha256Hex(bytes))) continue;
    try {
      const { song } = parseMidi(bytes, { sustain: false, path: file });
      if (song.notes.length > 0) heldOut.push({ id: path.basename(file), song, seconds: durationSeconds(song) });
    } catch (error) {
      log(`skipped ${file}: ${(error as Error).message}`);
    }
  }

  let generated: { name: string; song: Song }[];
  let settings: string;
  if (args.generated !== undefined) {
    const files = (await readdir(args.generated)).filter((f) => f.endsWith('.mid')).sort();
    generated = await Promise.all(
      files.map(async (f) => ({
        name: f,
        song: parseMidi(await readFile(path.join(args.generated!, f)), { sustain: false }).song,
      })),
    );
    settings = `read from ${args.generated}`;
  } else {
    const seed = wholeNumber('seed', args.seed);
    const count = wholeNumber('pieces', args.pieces);
    const tg = performance.now();
    const out = await generatePieces({
      modelPath: args.model!,
      outputPath: args.out!,
      count,
      seconds: wholeNumber('seconds', args.seconds),
      seed,
      ...(args.temperature !== undefined ? { temperature: Number(args.temperature) } : {}),
      ...(args['top-p'] !== undefined ? { topP: Number(args['top-p']) } : {}),
      ...(args.memory !== undefined ? { memory: Number(args.memory) } : {}),
      ...(args['max-repeat'] !== undefined ? { maxRepeat: Number(args['max-repeat']) } : {}),
      ...(args['memory-budget'] !== undefined ? { memoryBudget: Number(args['memory-budget']) } : {}),
    });
    generated = out.map((p) => ({ name: p.name, song: p.song }));
    settings =
      `seeds ${seed}-${seed + count - 1}, ${args.seconds} s; temperature ${args.temperature ?? 'default'}, top-p ${args['top-p'] ?? 'default'}, ` +
      `memory ${args.memory ?? 'default'}, max-repeat ${args['max-repeat'] ?? 'default'}, memory budget ${args['memory-budget'] ?? 'default'}`;
    log(`generated ${count} pieces in ${((performance.now() - tg) / 1000).toFixed(0)} s`);
  }
  if (generated.length < 2) fail('fewer than 2 generated pieces to compare.');

  const labels = new Map(SCALAR_MEASURES.map((m) => [m.id as string, m.label]));
  const median = (ms: readonly PieceMeasures[], id: string): number =>
    summarize(ms.map((m) => m.scalars[id as keyof PieceMeasures['scalars']])).p50;
  const rows = windows.map(({ from, to }) => {
    const real = heldOut.filter((p) => p.seconds >= to).map((p) => windowSong(p.song, from, to));
    const gen = generated.map((p) => windowSong(p.song, from, to));
    const realMeasures = real.map((s) => measureSong(s));
    const genMeasures = gen.map((s) => measureSong(s));
    const overlap = real.length >= 2 ? overlapSummary(compareSets(realMeasures, genMeasures, COMPOSER_FEATURES)) : undefined;
    const nps = (songs: Song[]): number => summarize(songs.map((s) => notesPerSecond(s, to - from))).p50;
    const densityOf = (songs: Song[], ms: PieceMeasures[]): Record<string, number> => {
      const per = songs.map((s, i) => density(s, to - from, ms[i]!.scalars.emptyBeatRate));
      return Object.fromEntries(Object.keys(per[0] ?? {}).map((k) => [k, summarize(per.map((d) => d[k]!)).p50]));
    };
    return {
      window: `${from}-${to}`,
      heldOutPieces: real.length,
      generatedPieces: gen.length,
      overlap: overlap ? { mean: overlap.mean, min: overlap.min, minFeature: overlap.minFeature } : null,
      notesPerSecond: { generated: nps(gen), heldOut: nps(real), generatedLowest: summarize(gen.map((s) => notesPerSecond(s, to - from))).min },
      /** Medians, not in the overlap figures. */
      density: { generated: densityOf(gen, genMeasures), heldOut: densityOf(real, realMeasures) },
      features: COMPOSER_FEATURES.map((id) => ({
        id,
        overlap: overlap?.perFeature[id] ?? null,
        generatedMedian: median(genMeasures, id),
        heldOutMedian: median(realMeasures, id),
      })),
    };
  });

  const f = (v: number | null | undefined, d = 2): string => (v !== null && v !== undefined && Number.isFinite(v) ? v.toFixed(d) : '–');
  const md = [
    `# Long form: ${args.model}`,
    '',
    `${generated.length} generated pieces (${settings}) against the held-out pieces at least as long as each window's end. ` +
      'Each cell: overlap (generated median / held-out median).',
    '',
    `| feature | ${rows.map((r) => `${r.window} s (n real ${r.heldOutPieces})`).join(' | ')} |`,
    `| --- | ${rows.map(() => '---').join(' | ')} |`,
    ...COMPOSER_FEATURES.map(
      (id, i) =>
        `| ${labels.get(id) ?? id} | ${rows
          .map((r) => `${f(r.features[i]!.overlap)} (${f(r.features[i]!.generatedMedian)} / ${f(r.features[i]!.heldOutMedian)})`)
          .join(' | ')} |`,
    ),
    `| notes per second | ${rows.map((r) => `(${f(r.notesPerSecond.generated)} / ${f(r.notesPerSecond.heldOut)}; lowest generated ${f(r.notesPerSecond.generatedLowest)})`).join(' | ')} |`,
    ...['onsetsPerSecond', 'onsetsPerBeat', 'notesPerOnset', 'leftHandNotesPerSecond', 'medianNoteQuarters', 'emptyBeatRate'].map(
      (k) => `| ${k} (median) | ${rows.map((r) => `(${f(r.density.generated[k])} / ${f(r.density.heldOut[k])})`).join(' | ')} |`,
    ),
    `| **mean / lowest overlap** | ${rows.map((r) => `**${f(r.overlap?.mean)} / ${f(r.overlap?.min)}** (${labels.get(r.overlap?.minFeature ?? '') ?? '–'})`).join(' | ')} |`,
    '',
  ].join('\n');
  const result = { model: args.model, settings, generated: generated.map((g) => g.name), windows: rows, seconds: (performance.now() - t0) / 1000, createdAt: new Date().toISOString() };
  await writeFileAtomic(
    path.join(args.out!, 'longform.json'),
    JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n',
  );
  await writeFileAtomic(path.join(args.out!, 'longform.md'), md);
  process.stdout.write(md);
  log(`wrote ${args.out}/longform.md and longform.json (${result.seconds.toFixed(0)} s)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`longform-figures: ${(error as Error).message}\n`);
  process.exit(1);
});

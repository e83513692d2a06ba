/**
 * The "Done when" figures of issue 13 for one model folder (docs/METRICS.md, "Composer figures"):
 *
 *   nice -n 19 npx tsx scripts/composer-figures.ts --model resources/models/lstm \
 *     [--corpus ../shared/corpora/piano-midi] [--out output/figures] [--pieces 20] [--seconds 60] \
 *     [--train-list file] [--ngram-samples] [--max-targets 20000] [--crop 60|none]
 *
 * (a) splits the corpus into the model's training pieces (config.json `trainingPieces`, by sha-256;
 *     else `--train-list`; else the preprocess split, checked against the config's corpus hash) and
 *     held-out pieces; (b) generates `--pieces` pieces of `--seconds` s, seeds 1.., at default
 *     settings; (c) compares generated, n-gram-sampled (with --ngram-samples) and training pieces
 *     (the corpus ceiling) with the held-out pieces on the composer features; (d) the longest span
 *     copied from a training piece; (e) model, 5-gram and unigram NLL on the held-out pieces.
 * Writes figures.json and figures.md under --out.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { summarize } from '../src/core/common/evaluate/distributions';
import { cropSong } from '../src/core/common/evaluate/features';
import { COMPOSER_FEATURES, compareSets, overlapSummary } from '../src/core/common/evaluate/compare';
import type { OverlapSummary } from '../src/core/common/evaluate/compare';
import { measureSong, SCALAR_MEASURES } from '../src/core/common/evaluate/measures';
import type { PieceMeasures } from '../src/core/common/evaluate/measures';
import { KneserNeyModel } from '../src/core/common/evaluate/ngram';
import type { LikelihoodReport } from '../src/core/common/evaluate/report';
import { chordEvents, EventDictionary, ReferenceIndex } from '../src/core/common/evaluate/repetition';
import type { Song } from '../src/core/common/song/song';
import { durationSeconds } from '../src/core/common/song/tempo';
import { getTokenizer } from '../src/core/common/tokenize';
import type { TokenizerKind, TokenizerOptions } from '../src/core/common/tokenize';
import { vocabularyIndex } from '../src/core/common/tokenize/vocabulary';
import type { EncodedPiece } from '../src/core/node/evaluate/heldOut';
import { scoreSplit, sha256Hex } from '../src/core/node/evaluate/heldOut';
import { openLikelihoodModel } from '../src/core/node/evaluate/likelihoodModel';
import { encodeMidiForModel } from '../src/core/node/evaluate/tokenizeForModel';
import { writeFileAtomic } from '../src/core/node/fs/atomic';
import { generatePieces } from '../src/core/node/generate/generate';
import { parseMidi } from '../src/core/common/midi/read';
import { sharedCorpusDir } from '../src/core/node/paths';
import { splitPieces } from '../src/core/node/preprocess/preprocess';
import { listMidiFiles } from '../src/core/node/testing/sharedCorpus';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'resources/models/composer' },
    corpus: { type: 'string', default: sharedCorpusDir() },
    out: { type: 'string', default: 'output/figures' },
    pieces: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '60' },
    'train-list': { type: 'string' },
    'ngram-samples': { type: 'boolean', default: false },
    'sample-order': { type: 'string', default: '4' },
    'max-targets': { type: 'string', default: '20000' },
    crop: { type: 'string' },
    temperature: { type: 'string' },
    memory: { type: 'string' },
    'top-p': { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`composer-figures: ${message}\n`);
  process.exit(2);
}

function wholeNumber(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${flag} must be a whole number of at least 1, not "${v}".`);
  return n;
}

const modelDir = args.model!;
const corpusDir = args.corpus!;
const count = wholeNumber('pieces', args.pieces);
const seconds = wholeNumber('seconds', args.seconds);
const maxTargets = wholeNumber('max-targets', args['max-targets']);
const sampleOrder = wholeNumber('sample-order', args['sample-order']);
const crop =
  args.crop === 'none' ? undefined : args.crop === undefined ? seconds : wholeNumber('crop', args.crop);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface CorpusPiece extends EncodedPiece {
  id: string;
  song: Song;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const model = await openLikelihoodModel(modelDir);
  const config = JSON.parse(await readFile(path.join(modelDir, 'config.json'), 'utf8')) as {
    corpusHash?: string;
  };
  // ── (a) the corpus, encoded for the model, split into training and held-out pieces.
  let files: string[];
  try {
    files = listMidiFiles(corpusDir);
  } catch {
    fail(`--corpus names ${corpusDir}, which cannot be read.`);
  }
  if (files.length === 0) fail(`--corpus names ${corpusDir}, which holds no MIDI files.`);
  const index = vocabularyIndex(model.vocab);
  const pieces: CorpusPiece[] = [];
  const hashLines: string[] = [];
  for (const file of files) {
    const id = path.relative(corpusDir, file).split(path.sep).join('/');
    const bytes = await readFile(file);
    const sha256 = sha256Hex(bytes);
    hashLines.push(`${id} ${sha256}`);
    try {
      const { song } = parseMidi(bytes, { sustain: false, path: file });
      if (song.notes.length === 0) continue;
      const { ids, stats } = encodeMidiForModel(bytes, model, file, index);
      pieces.push({
        id,
        name: id,
        midiPath: file,
        sha256,
        song,
        ids: Uint16Array.from(ids),
        unknownTokens: stats.unknownTokens,
      });
    } catch (error) {
      log(`skipped ${id}: ${(error as Error).message}`);
    }
  }
  let isTrain: (p: CorpusPiece) => boolean;
  let splitSource: LikelihoodReport['trainingSource'];
  if (model.trainingPieces) {
    const hashes = new Set(model.trainingPieces.map((p) => p.sha256));
    isTrain = (p) => hashes.has(p.sha256);
    splitSource = 'trainingPieces';
  } else if (args['train-list'] !== undefined) {
    // One corpus-relative path or sha-256 per line.
    const lines = (await readFile(args['train-list'], 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const listed = new Set(lines);
    isTrain = (p) => listed.has(p.id) || listed.has(p.sha256);
    splitSource = '--train-list';
  } else {
    // The model does not list its pieces: reproduce the preprocess split (validation 10%, seed 1),
    // which is only right for the corpus it was made from, so check the corpus hash first.
    const corpusHash = createHash('sha256').update(hashLines.sort().join('\n')).digest('hex');
    if (config.corpusHash !== corpusHash)
      fail(
        `${modelDir}/config.json lists no trainingPieces and its corpusHash is not that of ${corpusDir}, so its training split cannot be rebuilt; give --train-list <file> (one corpus path or sha-256 per line).`,
      );
    const split = splitPieces(
      pieces.map((p) => p.id),
      0.1,
      1,
    );
    isTrain = (p) => split.get(p.id) === 'train';
    splitSource = 'preprocess split';
  }
  const train = pieces.filter(isTrain);
  const heldOut = pieces.filter((p) => !isTrain(p));
  if (train.length === 0 || heldOut.length < 2)
    fail(
      `the split gives ${train.length} training and ${heldOut.length} held-out pieces; both sides need pieces (held-out at least 2).`,
    );
  log(`split (${splitSource}): ${train.length} training, ${heldOut.length} held-out pieces`);

  // ── (b) generated pieces at default settings, seeds 1..count.
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'cadenza-figures-'));
  let generated: Song[];
  const tg = performance.now();
  try {
    const out = await generatePieces({
      modelPath: modelDir,
      outputPath: tmp,
      count,
      seconds,
      seed: 1,
      ...(args.temperature !== undefined ? { temperature: Number(args.temperature) } : {}),
      ...(args['top-p'] !== undefined ? { topP: Number(args['top-p']) } : {}),
      ...(args.memory !== undefined ? { memory: Number(args.memory) } : {}),
    });
    generated = out.map((p) => p.song);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const generateSeconds = (performance.now() - tg) / 1000;
  log(`generated ${generated.length} pieces of ${seconds} s in ${generateSeconds.toFixed(0)} s`);

  // N-gram composer: a Kneser-Ney model of the training tokens, sampled until the piece is long enough.
  let ngramSongs: Song[] | undefined;
  if (args['ngram-samples']) {
    const sampler = new KneserNeyModel(
      train.map((p) => p.ids),
      model.vocab.tokens.length,
      { order: sampleOrder },
    ).sampler();
    const { kind, ...options } = model.tokenizer;
    const tokenizer = getTokenizer(kind as TokenizerKind, options as TokenizerOptions);
    ngramSongs = Array.from({ length: count }, (_, i) => {
      let song = tokenizer.decode([]);
      sampler.sample(50000, i + 1, (ids) => {
        if (ids.length % 32 !== 0) return false;
        song = tokenizer.decode(
          ids.map((id) => model.vocab.tokens[id]!),
          { bpm: 120 },
        );
        return durationSeconds(song) >= seconds;
      });
      return cropSong(song, seconds);
    });
  }

  // ── (c) features and overlaps against the held-out real pieces.
  const cut = (s: Song): Song => (crop === undefined ? s : cropSong(s, crop));
  const measure = (songs: readonly Song[]): PieceMeasures[] => songs.map((s) => measureSong(s));
  const heldMeasures = measure(heldOut.map((p) => cut(p.song)));
  const trainMeasures = measure(train.map((p) => cut(p.song)));
  const rows: Record<string, { measures: PieceMeasures[]; overlap: OverlapSummary; allMeasures: OverlapSummary }> = {};
  const add = (name: string, measures: PieceMeasures[]): void => {
    rows[name] = {
      measures,
      overlap: overlapSummary(compareSets(heldMeasures, measures, COMPOSER_FEATURES)),
      // Every measure evaluate compares (scalars and histograms), for a stricter second figure.
      allMeasures: (() => {
        // Expression (velocity, tempo map) is the refiner's job, not the composer's: left out.
        const expression = new Set(SCALAR_MEASURES.filter((m) => m.group === 'expression').map((m) => m.id as string));
        const all = compareSets(heldMeasures, measures).filter((c) => !expression.has(c.id));
        return overlapSummary(all, all.map((c) => c.id));
      })(),
    };
  };
  add('generated', measure(generated));
  if (ngramSongs) add(`${sampleOrder}-gram samples`, measure(ngramSongs));
  add('corpus ceiling (training pieces)', trainMeasures);

  // ── (d) copying: the longest span of onset groups found verbatim in one training piece.
  const dict = new EventDictionary();
  const refIndex = new ReferenceIndex(train.map((p) => dict.encode(chordEvents(p.song))));
  const longestCopy = (songs: readonly Song[]): { max: number; median: number } => {
    const spans = songs.map((s) => refIndex.longestCopiedSpan(dict.encode(chordEvents(s))).length);
    const sm = summarize(spans);
    return { max: sm.max, median: sm.p50 };
  };
  const copying = {
    generated: longestCopy(generated),
    heldOutReal: longestCopy(heldOut.map((p) => cut(p.song))),
    ...(ngramSongs ? { ngramSamples: longestCopy(ngramSongs) } : {}),
  };

  // ── (e) likelihood on the held-out pieces, the model against the 5-gram and the unigram.
  const tl = performance.now();
  const likelihood = await scoreSplit(model, train, heldOut, {
    trainingSource: splitSource,
    ngramOrder: 5,
    maxTargets,
  });
  const likelihoodSeconds = (performance.now() - tl) / 1000;
  await model.dispose();

  const labels = new Map(SCALAR_MEASURES.map((m) => [m.id as string, m.label]));
  const median = (ms: PieceMeasures[], id: string): number =>
    summarize(ms.map((m) => m.scalars[id as keyof PieceMeasures['scalars']])).p50;
  const result = {
    model: modelDir,
    corpus: corpusDir,
    split: { source: splitSource, training: train.length, heldOut: heldOut.length },
    generated: { pieces: generated.length, seconds, seeds: [1, count], settings:
        args.temperature !== undefined || args['top-p'] !== undefined || args.memory !== undefined
          ? `temperature ${args.temperature ?? 'default'}, top-p ${args['top-p'] ?? 'default'}, memory ${args.memory ?? 'default'}`
          : 'generate defaults',
    },
    realPiecesCroppedToSeconds: crop ?? null,
    features: COMPOSER_FEATURES.map((id) => ({
      id,
      label: labels.get(id),
      heldOutMedian: median(heldMeasures, id),
      ...Object.fromEntries(
        Object.entries(rows).map(([name, r]) => [
          name,
          { overlap: r.overlap.perFeature[id], median: median(r.measures, id) },
        ]),
      ),
    })),
    overlap: Object.fromEntries(
      Object.entries(rows).map(([name, r]) => [
        name,
        {
          mean: r.overlap.mean,
          min: r.overlap.min,
          minFeature: r.overlap.minFeature,
          allMeasures: { count: Object.keys(r.allMeasures.perFeature).length, mean: r.allMeasures.mean, min: r.allMeasures.min, minFeature: r.allMeasures.minFeature },
        },
      ]),
    ),
    copying,
    likelihood: {
      modelNll: likelihood.modelNll,
      modelWithoutMemoryNll: likelihood.modelWithoutMemoryNll ?? null,
      ngramNll: likelihood.ngramNll,
      ngramOrder: likelihood.ngramOrder,
      unigramNll: likelihood.unigramNll,
      ratioToNgram: likelihood.modelNll / likelihood.ngramNll,
      targets: likelihood.targets,
      pieces: likelihood.pieces,
      unknownTokens: likelihood.unknownTokens,
      capped: likelihood.capped,
      firstTarget: likelihood.firstTarget,
    },
    doneWhen: {
      meanOverlapAtLeast070: rows.generated!.overlap.mean >= 0.7,
      minOverlapAtLeast040: rows.generated!.overlap.min >= 0.4,
      nllAtMost090OfNgram: likelihood.modelNll <= 0.9 * likelihood.ngramNll,
      longestCopyAtMost16: copying.generated.max <= 16,
    },
    seconds: {
      generate: generateSeconds,
      likelihood: likelihoodSeconds,
      total: (performance.now() - t0) / 1000,
    },
    createdAt: new Date().toISOString(),
  };
  const f = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : '–');
  const names = Object.keys(rows);
  const md = [
    `# Composer figures: ${modelDir}`,
    '',
    `${generated.length} generated pieces of ${seconds} s (seeds 1–${count}, generate defaults) against ${heldOut.length} held-out real pieces` +
      `${crop !== undefined ? ` (real pieces cut to their first ${crop} s)` : ''}; split: ${splitSource}, ${train.length} training pieces. ` +
      "Overlap: MGEval overlap area of the held-out pieces' intra-set distances and the inter-set distances (1 = indistinguishable).",
    '',
    `| feature | held-out median | ${names.map((n) => `${n} overlap (median)`).join(' | ')} |`,
    `| --- | ---: | ${names.map(() => '---:').join(' | ')} |`,
    ...result.features.map(
      (r) =>
        `| ${r.label} | ${f(r.heldOutMedian)} | ${names
          .map((n) => {
            const c = (r as unknown as Record<string, { overlap: number; median: number }>)[n]!;
            return `${f(c.overlap)} (${f(c.median)})`;
          })
          .join(' | ')} |`,
    ),
    `| **mean overlap** | | ${names.map((n) => `**${f(rows[n]!.overlap.mean)}**`).join(' | ')} |`,
    `| **min overlap** | | ${names.map((n) => `**${f(rows[n]!.overlap.min)}** (${labels.get(rows[n]!.overlap.minFeature) ?? '–'})`).join(' | ')} |`,
    '',
    '| longest span copied from a training piece (onset groups) | max | median |',
    '| --- | ---: | ---: |',
    `| generated | ${copying.generated.max} | ${copying.generated.median} |`,
    ...(copying.ngramSamples
      ? [`| ${sampleOrder}-gram samples | ${copying.ngramSamples.max} | ${copying.ngramSamples.median} |`]
      : []),
    `| held-out real pieces | ${copying.heldOutReal.max} | ${copying.heldOutReal.median} |`,
    '',
    `| held-out NLL (nats/token, ${model.tokenizer.kind} tokens, ${likelihood.targets} targets of ${likelihood.pieces} pieces${likelihood.capped ? ', capped' : ''}) | value |`,
    '| --- | ---: |',
    `| model${likelihood.modelWithoutMemoryNll !== undefined ? ' (with its piece memory)' : ''} | ${f(likelihood.modelNll, 3)} |`,
    ...(likelihood.modelWithoutMemoryNll !== undefined ? [`| model without its piece memory | ${f(likelihood.modelWithoutMemoryNll, 3)} |`] : []),
    `| Kneser-Ney 5-gram | ${f(likelihood.ngramNll, 3)} |`,
    `| unigram | ${f(likelihood.unigramNll, 3)} |`,
    `| model / 5-gram | ${f(result.likelihood.ratioToNgram, 3)} |`,
    '',
    `Done when: mean overlap ≥ 0.70 ${result.doneWhen.meanOverlapAtLeast070 ? 'yes' : 'no'}; min ≥ 0.40 ${result.doneWhen.minOverlapAtLeast040 ? 'yes' : 'no'}; ` +
      `NLL ≤ 0.90 × 5-gram ${result.doneWhen.nllAtMost090OfNgram ? 'yes' : 'no'}; longest copy ≤ 16 ${result.doneWhen.longestCopyAtMost16 ? 'yes' : 'no'}.`,
    '',
  ].join('\n');
  const jsonPath = path.join(args.out!, 'figures.json');
  const mdPath = path.join(args.out!, 'figures.md');
  await writeFileAtomic(
    jsonPath,
    JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) +
      '\n',
  );
  await writeFileAtomic(mdPath, md);
  process.stdout.write(md);
  log(`wrote ${mdPath} and ${jsonPath} (${result.seconds.total.toFixed(0)} s)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`composer-figures: ${(error as Error).message}\n`);
  process.exit(1);
});

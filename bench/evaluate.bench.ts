/**
 * Evaluation speed: the whole shared corpus measured, indexed for copying and compared, the full
 * `runEvaluation` + report, and audio measures in multiples of real time.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { measureLoudness } from '../src/core/common/audio/loudness';
import { measureAudio } from '../src/core/common/evaluate/audio';
import { compareSets } from '../src/core/common/evaluate/compare';
import { measureSong } from '../src/core/common/evaluate/measures';
import { renderReportHtml } from '../src/core/common/evaluate/reportHtml';
import { chordEvents, EventDictionary, ReferenceIndex } from '../src/core/common/evaluate/repetition';
import type { Song } from '../src/core/common/song/song';
import { runEvaluation } from '../src/core/node/evaluate/evaluate';
import { readMidiFile } from '../src/core/node/midi/read';
import { sharedCorpusDir } from '../src/core/node/paths';
import { listMidiFiles } from '../src/core/node/testing/sharedCorpus';
import type { BenchRow } from './run';

const seconds = (start: number): number => (performance.now() - start) / 1000;

/** A minute of stereo piano-like audio: decaying partials struck twice a second. */
function syntheticAudio(rate: number, lengthSeconds: number): Float32Array[] {
  const x = new Float32Array(rate * lengthSeconds);
  for (let t = 0; t < lengthSeconds; t += 0.5) {
    const f = 220 * Math.pow(2, (Math.round(t * 7) % 12) / 12);
    const start = Math.round(t * rate);
    for (let i = 0; i < rate && start + i < x.length; i++)
      x[start + i]! += 0.2 * Math.exp(-i / (0.3 * rate)) * Math.sin((2 * Math.PI * f * i) / rate);
  }
  return [x, x.slice()];
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const corpus = sharedCorpusDir();
  if (existsSync(corpus)) {
    const files = listMidiFiles(corpus);
    let t = performance.now();
    const songs: Song[] = [];
    for (const f of files) songs.push((await readMidiFile(f, { sustain: false })).song);
    const readS = seconds(t);
    rows.push({ name: `read ${files.length} corpus MIDI files`, value: readS, unit: 's' });
    t = performance.now();
    const measures = songs.map(measureSong);
    const measureS = seconds(t);
    rows.push({
      name: `all music measures of ${songs.length} pieces`,
      value: measureS,
      unit: 's',
      note: `${(songs.length / measureS).toFixed(0)} pieces/s`,
    });
    t = performance.now();
    const dict = new EventDictionary();
    const seqs = songs.map((s) => dict.encode(chordEvents(s)));
    const index = new ReferenceIndex(seqs);
    rows.push({
      name: `copy index over ${seqs.reduce((n, s) => n + s.length, 0)} events`,
      value: seconds(t),
      unit: 's',
    });
    t = performance.now();
    seqs.forEach((q, i) => index.longestCopiedSpan(q, i));
    rows.push({
      name: `longest copied span, each of ${seqs.length} pieces vs the rest`,
      value: seconds(t),
      unit: 's',
    });
    t = performance.now();
    compareSets(measures, measures.slice(0, 20));
    rows.push({
      name: `compare ${measures.length} reference vs 20 pieces (22 measures, KDE)`,
      value: seconds(t),
      unit: 's',
    });
    const gen = path.join(corpus, 'Chopin');
    t = performance.now();
    const report = await runEvaluation({ reference: corpus, generated: gen });
    const html = renderReportHtml(report);
    rows.push({
      name: `cadenza evaluate: corpus vs Chopin (${report.sets[1]!.pieces.length} pieces), with HTML`,
      value: seconds(t),
      unit: 's',
      note: `report.html ${(html.length / 1024).toFixed(0)} KiB`,
    });
  } else rows.push({ name: 'corpus benchmarks skipped: no ../shared corpus', value: 0, unit: '' });

  const rate = 44100;
  const audio = syntheticAudio(rate, 60);
  let t = performance.now();
  measureLoudness(audio, rate, { truePeak: false });
  rows.push({
    name: 'integrated loudness + LRA, 60 s stereo 44.1 kHz',
    value: 60 / seconds(t),
    unit: 'x realtime',
  });
  t = performance.now();
  measureLoudness(audio, rate);
  rows.push({ name: 'the same with 4x true peak', value: 60 / seconds(t), unit: 'x realtime' });
  t = performance.now();
  measureAudio({ sampleRateHz: rate, channels: audio }, 16);
  rows.push({
    name: 'all audio measures (loudness, peaks, SNR, flux tempo)',
    value: 60 / seconds(t),
    unit: 'x realtime',
  });
  return rows;
}

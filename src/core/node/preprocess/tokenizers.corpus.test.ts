/**
 * The tokenizers against the real piano corpus: the seed tokenizer against music21's own
 * tokens (the goldens), and the notes and performance round trips over every file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { applySustain } from '../../common/song/sustain';
import { tempoMapOf } from '../../common/song/tempo';
import { NotesTokenizer, quantizeDurationSteps, STEPS_PER_QUARTER } from '../../common/tokenize/notes';
import { PerformanceTokenizer, velocityBin } from '../../common/tokenize/performance';
import { SeedTokenizer } from '../../common/tokenize/seed';
import { parseMidi } from '../../common/midi/read';
import { listMidiFiles, sharedCorpusOrSkip } from '../testing/sharedCorpus';

const corpus = sharedCorpusOrSkip();

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Levenshtein distance between token sequences. */
function editDistance(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

describe.skipIf(!corpus)('seed tokenizer against music21 (goldens)', () => {
  it('matches music21 token for token on most golden files', () => {
    const goldens = JSON.parse(
      readFileSync(path.join(corpus!, '..', 'music21-seed-tokens', 'sample.json'), 'utf8'),
    ) as Record<string, string[]>;
    const seed = new SeedTokenizer();
    let exact = 0;
    let exactViaSong = 0;
    let distance = 0;
    let total = 0;
    for (const [file, gold] of Object.entries(goldens)) {
      const bytes = readFileSync(path.join(corpus!, file));
      const mine = seed.encodeMidi(bytes, file);
      const d = sameTokens(mine, gold) ? 0 : editDistance(mine, gold);
      if (d === 0) exact++;
      distance += d;
      total += gold.length;
      if (sameTokens(seed.encode(parseMidi(bytes, { sustain: false }).song), gold)) exactViaSong++;
    }
    // Measured 2026-12-02: 20 of 20 identical (1 - edit distance / length = 100%).
    expect(Object.keys(goldens)).toHaveLength(20);
    expect(exact).toBe(20);
    expect(1 - distance / total).toBe(1);
    // From a Song, same-tick notes of one hand lose the file's order: fewer are identical.
    expect(exactViaSong).toBeGreaterThanOrEqual(5);
  });
});

/**
 * Sequence similarity 1 - D / (|a| + |b|), D the insert/delete edit distance (Myers O((N+M)D)):
 * 2·LCS / (|a| + |b|), which is what difflib's ratio approximates.
 */
function sequenceSimilarity(a: readonly string[], b: readonly string[]): number {
  const n = a.length;
  const m = b.length;
  if (n + m === 0) return 1;
  const max = n + m;
  const v = new Int32Array(2 * max + 2);
  const off = max + 1;
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return 1 - d / (n + m);
    }
  }
  return 0;
}

/** Mean similarity, files below 0.95 and the worst five, for one set of files. */
function similarityReport(
  name: string,
  files: readonly string[],
  reference: (file: string) => string[],
): { mean: number; below: number; worst: number } {
  const seed = new SeedTokenizer();
  const rows = files.map((file) => {
    const mine = seed.encodeMidi(readFileSync(path.join(corpus!, file)), file);
    return { file, similarity: sequenceSimilarity(mine, reference(file)) };
  });
  rows.sort((x, y) => x.similarity - y.similarity);
  const mean = rows.reduce((sum, r) => sum + r.similarity, 0) / rows.length;
  const below = rows.filter((r) => r.similarity < 0.95).length;
  const exact = rows.filter((r) => r.similarity === 1).length;
  console.log(
    `[seed vs music21] ${name}: ${rows.length} files, mean similarity ${mean.toFixed(4)}, ${exact} identical, ` +
      `${below} below 0.95; worst: ${rows
        .slice(0, 5)
        .map((r) => `${r.file} ${r.similarity.toFixed(3)}`)
        .join(', ')}`,
  );
  return { mean, below, worst: rows[0]?.similarity ?? 1 };
}

const moreFile = corpus ? path.join(corpus, '..', 'music21-seed-tokens', 'more.json.gz') : '';

describe.skipIf(!corpus || !existsSync(moreFile))(
  'seed tokenizer against music21 (similarity report)',
  () => {
    it('reports mean similarity and the worst files: goldens, the tuned subset and the held-out subset', () => {
      const goldens = JSON.parse(
        readFileSync(path.join(corpus!, '..', 'music21-seed-tokens', 'sample.json'), 'utf8'),
      ) as Record<string, string[]>;
      const more = JSON.parse(gunzipSync(readFileSync(moreFile)).toString('utf8')) as Record<
        string,
        [string, number, number, number][]
      >;
      // The rules were tuned on the first 150 files of more.json.gz by sorted name; the rest is held out.
      const names = Object.keys(more).sort();
      const tokensOf = (file: string): string[] => more[file]!.map((t) => t[0]);
      const golden = similarityReport('goldens', Object.keys(goldens).sort(), (f) => goldens[f]!);
      const tuned = similarityReport('tuned (more.json.gz 1-150)', names.slice(0, 150), tokensOf);
      const held = similarityReport(
        `held out (more.json.gz 151-${names.length})`,
        names.slice(150),
        tokensOf,
      );
      // Measured 2026-12-02 (second pass, docs/TOKENIZERS.md): goldens, tuned and held out all
      // identical to music21 (20, 150 and 94 files). The held-out files were scored twice: 0.9989
      // after the rules found on the tuning files, 1.0000 after those found on generated files.
      expect(golden.mean).toBe(1);
      expect(tuned.mean).toBe(1);
      expect(held.mean).toBeGreaterThanOrEqual(0.999);
      expect(held.below).toBe(0);
    }, 60_000);
  },
);

describe.skipIf(!corpus)('round trips over the whole corpus', () => {
  const files = corpus ? listMidiFiles(corpus) : [];

  it('notes: every note comes back on the 1/12-quarter grid with its quantized duration', () => {
    const tokenizer = new NotesTokenizer();
    let notes = 0;
    for (const file of files) {
      const { song } = parseMidi(readFileSync(file), { sustain: false });
      const perStep = song.ppq / STEPS_PER_QUARTER;
      // Expected: one note per (pitch, onset step), the longest quantized duration among those merged there.
      const expected = new Map<string, number>();
      for (const n of song.notes) {
        const key = `${n.pitch}@${Math.round(n.startTicks / perStep)}`;
        const d = quantizeDurationSteps((n.endTicks - n.startTicks) / perStep);
        expected.set(key, Math.max(expected.get(key) ?? 0, d));
        notes++;
      }
      const decoded = tokenizer.decode(tokenizer.encode(song), { ppq: 480 });
      const got = new Map(
        decoded.notes.map((n) => [`${n.pitch}@${n.startTicks / 40}`, (n.endTicks - n.startTicks) / 40]),
      );
      expect(got, path.basename(file)).toEqual(expected);
    }
    expect(notes).toBeGreaterThan(700_000);
  }, 120_000);

  it('performance: onsets and offsets within 10 ms, velocities within their bin', () => {
    const tokenizer = new PerformanceTokenizer();
    const failures: string[] = [];
    let checked = 0;
    for (const file of files) {
      const { song } = parseMidi(readFileSync(file), { sustain: false });
      const sustained = applySustain(song);
      const map = tempoMapOf(sustained);
      // The decoded song is 120 BPM at ppq 480: 960 ticks per second, 9.6 ticks per 10 ms step.
      const decoded = new Map<string, { startSeconds: number; endSeconds: number; velocity: number }>();
      for (const n of tokenizer.decode(tokenizer.encode(song)).notes)
        decoded.set(`${n.pitch}:${Math.round(n.startTicks / 9.6)}`, {
          startSeconds: n.startTicks / 960,
          endSeconds: n.endTicks / 960,
          velocity: n.velocity,
        });
      const byPitch = new Map<number, { start: number; end: number; velocity: number }[]>();
      for (const n of sustained.notes) {
        let list = byPitch.get(n.pitch);
        if (!list) byPitch.set(n.pitch, (list = []));
        list.push({
          start: map.toSeconds(n.startTicks),
          end: map.toSeconds(n.endTicks),
          velocity: n.velocity,
        });
      }
      for (const [pitch, list] of byPitch) {
        list.sort((a, b) => a.start - b.start);
        let maxEndBefore = -1;
        for (let i = 0; i < list.length; i++) {
          const n = list[i]!;
          checked++;
          const step = Math.round(n.start / 0.01);
          const where = `${path.basename(file)}: pitch ${pitch} at ${n.start.toFixed(3)} s`;
          const m = decoded.get(`${pitch}:${step}`);
          if (!m || Math.abs(m.startSeconds - n.start) > 0.01) failures.push(`${where}: onset missing`);
          else {
            // Two notes of one key in the same 10 ms step sound once, with one of their velocities.
            const bins: number[] = [];
            for (let j = i; j >= 0 && Math.round(list[j]!.start / 0.01) === step; j--)
              bins.push(velocityBin(list[j]!.velocity));
            for (let j = i + 1; j < list.length && Math.round(list[j]!.start / 0.01) === step; j++)
              bins.push(velocityBin(list[j]!.velocity));
            if (!bins.includes(velocityBin(m.velocity)))
              failures.push(`${where}: velocity ${m.velocity} not in bin ${bins}`);
            // A key sounds once: a note overlapped by another of its pitch ends at the re-strike;
            // a note shorter than one step lasts one step.
            const overlapped = maxEndBefore > n.start || (i + 1 < list.length && list[i + 1]!.start < n.end);
            if (!overlapped && n.end - n.start >= 0.01 && Math.abs(m.endSeconds - n.end) > 0.01)
              failures.push(`${where}: ends at ${m.endSeconds.toFixed(3)} s, not ${n.end.toFixed(3)} s`);
          }
          maxEndBefore = Math.max(maxEndBefore, n.end);
        }
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(700_000);
  }, 120_000);
});

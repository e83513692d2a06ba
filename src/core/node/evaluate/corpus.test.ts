import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PIANO_HIGHEST, PIANO_LOWEST } from '../../common/units';
import { sharedCorpusOrSkip } from '../testing/sharedCorpus';
import { runEvaluation } from './evaluate';

const corpus = sharedCorpusOrSkip();

describe.skipIf(!corpus)('evaluate on the shared piano corpus', () => {
  it('measures all 291 pieces, and a composer subset never counts its own files as copied', async () => {
    const report = await runEvaluation({ reference: corpus!, generated: path.join(corpus!, 'Chopin') });
    expect(report.warnings).toEqual([]);
    const [ref, chopin] = report.sets;
    expect(ref!.pieces.filter((p) => p.measures)).toHaveLength(291);
    for (const p of ref!.pieces) {
      const s = p.measures!.scalars;
      expect(s.pitchRange, p.name).toBeLessThanOrEqual(PIANO_HIGHEST - PIANO_LOWEST);
      // Any seven-note scale holds at least 7/12 of the notes of any piece.
      expect(s.scaleConsistency, p.name).toBeGreaterThanOrEqual(7 / 12 - 1e-9);
      expect(s.polyphony, p.name).toBeGreaterThanOrEqual(1);
      expect(s.emptyBeatRate, p.name).toBeLessThan(0.5);
    }
    // Real piano music: a steady beat in most pieces, and only short spans shared between pieces.
    expect(ref!.summary!.scalars.tempoConsistency.p50).toBeGreaterThan(0.4);
    expect(ref!.copiedSummary!.p50).toBeLessThan(30);
    for (const p of chopin!.pieces) expect(p.copied!.referenceName, p.name).not.toBe(`Chopin/${p.name}`);
    // Chopin is a part of the reference, so it overlaps it well on most measures.
    const oa = chopin!.comparison!.map((c) => c.overlapArea);
    expect(oa.filter((v) => v > 0.6).length).toBeGreaterThan(oa.length / 2);
  });
});

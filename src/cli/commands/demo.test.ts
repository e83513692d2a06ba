import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../core/common/evaluate/report';
import { bundledProfilePath } from '../../core/node/evaluate/profile';
import { runCli } from '../testing';
import { demoReference, evaluationStepLine, STUDIO_HINT } from './demo';

describe('cadenza demo', () => {
  it('says step 4/4 whatever it evaluates against', () => {
    expect(evaluationStepLine('/corpus')).toBe('4/4 evaluating against the reference corpus (/corpus)…');
    expect(evaluationStepLine('/x/reference-profile.json')).toMatch(/^4\/4 evaluating against the bundled model's corpus profile /);
    expect(evaluationStepLine(undefined)).toMatch(/^4\/4 evaluation skipped: /);
  });

  it('ends by saying how to open the studio', () => {
    expect(STUDIO_HINT).toContain('npm start');
  });

  describe('on a clone without the corpus beside it', () => {
    let out: string;
    let hidden: string | undefined;
    beforeEach(async () => {
      out = await mkdtemp(path.join(os.tmpdir(), 'cadenza-demo-'));
      hidden = process.env.CADENZA_NO_SHARED;
      process.env.CADENZA_NO_SHARED = '1';
    });
    afterEach(async () => {
      if (hidden === undefined) delete process.env.CADENZA_NO_SHARED;
      else process.env.CADENZA_NO_SHARED = hidden;
      await rm(out, { recursive: true, force: true });
    });

    it('evaluates against the bundled model’s corpus profile, through all four steps, and ends with the studio', async () => {
      expect(demoReference(undefined)).toBe(bundledProfilePath());
      const run = await runCli('demo', '--output_path', out, '--seconds', '4', '--seed', '3', '--quiet');
      expect(run.err).not.toContain('Error');
      expect(run.code).toBe(0);
      expect(run.out).toContain('Report     ');
      expect(run.out.trimEnd().endsWith(STUDIO_HINT)).toBe(true);
      const report = JSON.parse(await readFile(path.join(out, 'report', 'report.json'), 'utf8')) as EvaluationReport;
      expect(report.sets.map((s) => s.role)).toEqual(['reference', 'generated', 'refined', 'audio']);
      expect(report.sets[0]).toMatchObject({ source: 'profile', path: bundledProfilePath() });
      expect(report.sets[0]!.pieces.length).toBe(291);
      // The generated piece really is compared with the corpus's statistics.
      const generated = report.sets.find((s) => s.role === 'generated')!;
      expect(generated.comparison?.some((c) => Number.isFinite(c.overlapArea))).toBe(true);
    }, 240_000);
  });
});

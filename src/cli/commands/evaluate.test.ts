import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EvaluationReport } from '../../core/common/evaluate/report';
import { songOf } from '../../core/common/evaluate/testSongs';
import { encodeMidi } from '../../core/node/midi/write';
import { main } from '../main';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-cli-evaluate-'));
  await mkdir(path.join(dir, 'ref'));
  await mkdir(path.join(dir, 'gen'));
  for (let k = 0; k < 3; k++)
    await writeFile(path.join(dir, 'ref', `r${k}.mid`), encodeMidi(songOf(Array.from({ length: 12 }, (_, i) => [50 + k + i, i, 1]))));
  await writeFile(path.join(dir, 'gen', 'g.mid'), encodeMidi(songOf(Array.from({ length: 12 }, (_, i) => [60 + (i % 3), i, 0.5]))));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(['node', 'cadenza', 'evaluate', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('cadenza evaluate', () => {
  it('writes both reports and prints where they are', async () => {
    const output = path.join(dir, 'report');
    const r = await run('--reference', path.join(dir, 'ref'), '--generated', path.join(dir, 'gen'), '--output', output);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Wrote ${path.join(output, 'report.html')}`);
    expect(r.out).toMatch(/generated: 1 MIDI, 0 audio; mean overlap with reference/);
    const report = JSON.parse(await readFile(path.join(output, 'report.json'), 'utf8')) as EvaluationReport;
    expect(report.sets[1]!.pieces[0]!.measures!.scalars.pitchCount).toBe(3);
  });

  it('prints the report as JSON with --json', async () => {
    const r = await run('--reference', path.join(dir, 'ref'), '--output', path.join(dir, 'r2'), '--json');
    expect(r.code, r.err).toBe(0);
    const printed = JSON.parse(r.out) as { htmlPath: string; report: EvaluationReport };
    expect(printed.report.sets).toHaveLength(1);
    expect(printed.htmlPath).toBe(path.join(dir, 'r2', 'report.html'));
  });

  it('exits 2 with one sentence naming the flag for a path that does not exist', async () => {
    const r = await run('--reference', path.join(dir, 'ref'), '--generated', path.join(dir, 'missing'), '--output', path.join(dir, 'r3'));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`cadenza: --generated names ${path.join(dir, 'missing')}, which does not exist.\n`);
  });

  it('exits 2 without --reference and for a bad --max-targets', async () => {
    expect((await run('--generated', path.join(dir, 'gen'))).code).toBe(2);
    const r = await run('--reference', path.join(dir, 'ref'), '--max-targets', 'lots');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--max-targets must be a whole number');
  });
});

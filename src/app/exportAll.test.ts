import { runSystemTool } from '../core/node/testing/systemTools';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportEntries, writeZipFile } from './exportAll';
import { markTake, recordRefinement, recordRenders } from './takes';

describe('export all', () => {
  let dir: string;
  let clock = Date.parse('2026-12-03T09:00:00Z') / 1000;
  const file = (rel: string, text = 'x'): string => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    // Distinct times, so "oldest first" is well defined.
    utimesSync(p, clock, clock++);
    return p;
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-export-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names files by piece and take, keeps same-named pieces apart, and writes an archive unzip accepts', async () => {
    const first = file('generated/j1/piece-1.mid', 'MThd1');
    file('generated/j1/piece-1.json', '{}');
    const second = file('generated/j2/piece-1.mid', 'MThd2');
    const named = file('generated/j3/piece-2.mid', 'MThd3');
    await markTake(dir, named, { name: 'Nocturne / draft' });
    const render = file('renders/r1/piece-1.wav', 'RIFF1');
    file('renders/r1/piece-1.wav.json', '{}');
    await recordRenders(dir, [{ midi: first, wav: render }]);
    const refined = {
      midi: file('refined/f1/piece-1.mid', 'MThd4'),
      wav: file('refined/f1/piece-1.wav', 'RIFF2'),
    };
    await recordRefinement(dir, first, refined);
    const upload = file('renders/r2/my-song.wav', 'RIFF3');
    file('evaluations/e1/report.html', '<html>');

    const entries = await exportEntries(dir);
    expect(entries.map((e) => e.name).sort()).toEqual(
      [
        'Nocturne _ draft/Nocturne _ draft.mid',
        'evaluations/e1/report.html',
        'other/renders/r2/my-song.wav',
        'piece-1 (2)/piece-1 (2).mid',
        'piece-1/piece-1 (raw).wav',
        'piece-1/piece-1 (refined).mid',
        'piece-1/piece-1 (refined).wav',
        'piece-1/piece-1.json',
        'piece-1/piece-1.mid',
      ].sort(),
    );
    expect(entries.find((e) => e.name === 'piece-1/piece-1.mid')?.file).toBe(first);
    expect(entries.find((e) => e.name === 'piece-1 (2)/piece-1 (2).mid')?.file).toBe(second);
    expect(entries.find((e) => e.name.startsWith('other/'))?.file).toBe(upload);

    const zip = path.join(dir, 'exports', 'all.zip');
    mkdirSync(path.dirname(zip), { recursive: true });
    expect(await writeZipFile(zip, entries)).toBe(zip);
    const listing = runSystemTool('unzip', ['-t', zip]);
    if (listing !== null) {
      expect(listing).toContain('No errors detected');
      expect(runSystemTool('unzip', ['-p', zip, 'piece-1/piece-1 (refined).wav'])).toBe('RIFF2');
    }
    // Written beside its place first: nothing else is left in the folder.
    expect(readdirSync(path.dirname(zip))).toEqual(['all.zip']);
  });

  it('creates the folder it writes into, and names the archive when it cannot be written', async () => {
    const f = file('generated/j1/piece-1.mid', 'MThd');
    const into = path.join(dir, 'exports', 'new', 'all.zip');
    expect(await writeZipFile(into, [{ file: f, name: 'piece-1.mid' }])).toBe(into);
    // A folder where the archive should go: the error names it.
    const blocked = path.join(dir, 'blocked.zip');
    mkdirSync(blocked);
    await expect(writeZipFile(blocked, [{ file: f, name: 'piece-1.mid' }])).rejects.toThrow(blocked);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    writeFileSync(path.join(dir, 'a-file'), 'x');
    await expect(
      writeZipFile(path.join(dir, 'a-file', 'all.zip'), [{ file: f, name: 'piece-1.mid' }]),
    ).rejects.toThrow(path.join(dir, 'a-file'));
  });

  it('leaves no half archive when a file cannot be read', async () => {
    const zip = path.join(dir, 'out.zip');
    await expect(
      writeZipFile(zip, [{ file: path.join(dir, 'missing.wav'), name: 'missing.wav' }]),
    ).rejects.toThrow('missing.wav');
    expect(readdirSync(dir)).toEqual([]);
  });
});

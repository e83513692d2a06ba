import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Song } from '../../core/common/song/song';
import { emptySong } from '../../core/common/song/song';
import type { ImportReport } from '../../core/node/corpus/store';
import type { Piece } from '../../core/node/corpus/piece';
import { encodeMidi } from '../../core/node/midi/write';
import { runCli } from '../testing';

let dir: string;
let dataDir: string;
let input: string;

function song(seed: number): Song {
  const s = emptySong(480);
  for (let i = 0; i < 3; i++)
    s.notes.push({
      pitch: 50 + seed + i,
      velocity: 80,
      startTicks: i * 480,
      endTicks: i * 480 + 400,
      track: 0,
      channel: 0,
    });
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-cli-corpus-'));
  dataDir = path.join(dir, 'data');
  input = path.join(dir, 'Debussy');
  await mkdir(input);
  await writeFile(path.join(input, 'arabesque_1.mid'), encodeMidi(song(1)));
  await writeFile(path.join(input, 'arabesque_2.mid'), encodeMidi(song(2)));
  await writeFile(path.join(input, 'clair_de_lune.mid'), encodeMidi(song(3)));
  await writeFile(path.join(dir, 'readme.mid'), 'not midi');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = runCli;

describe('cadenza corpus', () => {
  it('imports a folder and prints the report as JSON', async () => {
    const r = await run('corpus', 'import', input, '--data-dir', dataDir, '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as ImportReport;
    expect(report.added.map((p) => `${p.composer}: ${p.title}`)).toEqual([
      'Debussy: Arabesque 1',
      'Debussy: Arabesque 2',
      'Debussy: Clair de lune',
    ]);
  });

  it('prints a summary with duplicates and skipped files, and exits 1 when no file was new and some failed', async () => {
    const r = await run('corpus', 'import', input, path.join(dir, 'readme.mid'), '--data-dir', dataDir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^Imported 0 pieces into .* 3 already there, 1 skipped\./);
    expect(r.out).toContain(`skipped: ${path.join(dir, 'readme.mid')} is not a readable MIDI file`);
    expect(r.out.match(/duplicate: /g)).toHaveLength(3);
    expect(r.err).toContain(
      'cadenza: Nothing was imported: 1 file could not be read and 3 were already in the corpus.',
    );
    const again = await run('corpus', 'import', input, '--data-dir', dataDir);
    expect(again.code, again.err).toBe(0);
  });

  it('exits 1 when nothing could be imported and some files failed, with the report in the JSON error', async () => {
    const r = await run('corpus', 'import', path.join(dir, 'readme.mid'), '--data-dir', dataDir, '--json');
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.out) as { error: { code: string; message: string; detail: ImportReport } };
    expect(error.code).toBe('CORPUS');
    expect(error.message).toBe('Nothing was imported: 1 file could not be read.');
    expect(error.detail.skipped[0]!.path).toBe(path.join(dir, 'readme.mid'));
    expect(r.err).toContain('cadenza: Nothing was imported');
  });

  it('exits 2 (usage) naming a path that does not exist, before touching the store', async () => {
    const missing = path.join(dir, 'nowhere');
    const missingData = path.join(dir, 'missing-data');
    const r = await run('corpus', 'import', input, missing, '--data-dir', missingData);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cadenza: corpus import was given ${missing}, which does not exist.`);
    expect(existsSync(missingData)).toBe(false);
  });

  it('exits 2 (usage) naming the folder when it holds no MIDI files, and leaves no data folder behind', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const emptyData = path.join(dir, 'empty-data');
    const r = await run('corpus', 'import', empty, '--data-dir', emptyData);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cadenza: Nothing was imported: ${empty} holds no .mid or .midi files.`);
    // The data folder did not exist before, and nothing was stored, so none is left behind.
    expect(existsSync(emptyData)).toBe(false);
    const list = await run('corpus', 'list', '--data-dir', emptyData, '--json');
    expect(JSON.parse(list.out)).toEqual([]);
  });

  it('lists and searches pieces, as text and as JSON', async () => {
    const all = await run('corpus', 'list', '--data-dir', dataDir);
    expect(all.code, all.err).toBe(0);
    expect(all.out).toMatch(/Debussy\s+Arabesque 1/);
    expect(all.out).toContain('3 pieces');
    const found = await run('corpus', 'list', '--data-dir', dataDir, '--search', 'LUNE', '--json');
    expect((JSON.parse(found.out) as Piece[]).map((p) => p.title)).toEqual(['Clair de lune']);
    const none = await run('corpus', 'list', '--data-dir', dataDir, '--search', 'satie');
    expect(none.out.trim()).toBe('No piece matches "satie".');
  });

  it('removes by id prefix, and refuses an unknown id without removing anything', async () => {
    const pieces = JSON.parse((await run('corpus', 'list', '--data-dir', dataDir, '--json')).out) as Piece[];
    const bad = await run(
      'corpus',
      'remove',
      pieces[0]!.id.slice(0, 8),
      'ffffffffffff',
      '--data-dir',
      dataDir,
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('holds no piece with id "ffffffffffff"');
    const ok = await run('corpus', 'remove', pieces[0]!.id.slice(0, 8), '--data-dir', dataDir);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`Removed ${pieces[0]!.id.slice(0, 12)}  Debussy: Arabesque 1`);
    const left = JSON.parse((await run('corpus', 'list', '--data-dir', dataDir, '--json')).out) as Piece[];
    expect(left.map((p) => p.title)).toEqual(['Arabesque 2', 'Clair de lune']);
  });

  it('rescans and reports what it checked', async () => {
    const r = await run('corpus', 'rescan', '--data-dir', dataDir, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ checked: 2, missing: [], damaged: [], orphansRemoved: 0 });
  });

  it('exits 2 on a usage error', async () => {
    const r = await run('corpus', 'import', '--data-dir', dataDir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing required argument/);
  });
});

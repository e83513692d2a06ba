import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundledModelDir, BUNDLED_MODEL_ID } from './layout';
import { listModels, listRuns, renameModel } from './library';
import { listTakes, removeTake } from './takeList';
import { markTake, recordRefinement, recordRenders } from './takes';

describe('takes as a list', () => {
  let dir: string;
  const file = (rel: string, text = 'x'): string => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  };
  /** A generated piece with the sidecar generate writes (the fields read here, and some it ignores). */
  const piece = (rel: string, sidecar: object): string => {
    file(rel.replace(/\.mid$/, '.json'), JSON.stringify(sidecar));
    return file(rel);
  };
  const lookups = {
    models: [
      { id: BUNDLED_MODEL_ID, name: 'Bundled model' },
      { id: 'run-1', name: 'Chopin etudes' },
    ],
    pieceTitle: (id: string) => (id === 'p1' ? 'Etude Op. 10 No. 1' : undefined),
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-takelist-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shows each piece’s model, seed, sampling and primer from its sidecar, and the user’s marks', async () => {
    const a = piece('generated/j1/piece-1.mid', {
      generatedAt: '2026-12-03T10:00:00Z',
      model: { path: path.join(dir, 'models', 'run-1'), runtime: 'composer' },
      seed: 42,
      options: { temperature: 0.9, topK: 20, topP: 0.95, maxRepeat: 4, tempoBpm: 96 },
      primer: { kind: 'corpus', source: 'corpus:p1', events: 12 },
    });
    piece('generated/j2/piece-1.mid', {
      model: { path: bundledModelDir() },
      seed: 7,
      options: { temperature: 1, topK: 0, topP: 1 },
      primer: { kind: 'midi', source: '/somewhere/opening.mid' },
    });
    piece('generated/j3/piece-1.mid', {
      model: { path: path.join(dir, 'models', 'gone') },
      seed: 1,
      primer: { kind: 'corpus', source: 'corpus:p9' },
    });
    await markTake(dir, a, { favourite: true, name: '  Morning etude ' });

    const takes = await listTakes(dir, lookups);
    const byJob = (job: string) => takes.find((t) => t.midi.path.includes(`${path.sep}${job}${path.sep}`))!;
    expect(byJob('j1')).toMatchObject({
      name: 'Morning etude',
      renamed: true,
      favourite: true,
      model: { id: 'run-1', name: 'Chopin etudes' },
      seed: 42,
      temperature: 0.9,
      topK: 20,
      topP: 0.95,
      bpm: 96,
      primer: { kind: 'corpus', label: 'Etude Op. 10 No. 1' },
      generatedAt: '2026-12-03T10:00:00Z',
    });
    expect(byJob('j2')).toMatchObject({
      name: 'piece-1',
      renamed: false,
      favourite: false,
      model: { id: BUNDLED_MODEL_ID },
      seed: 7,
      primer: { kind: 'midi', label: 'opening.mid' },
    });
    expect(byJob('j3').model).toEqual({ name: 'gone', missing: true });
    expect(byJob('j3').primer?.label).toContain('no longer in the library');

    await markTake(dir, a, { favourite: false, name: '' });
    expect((await listTakes(dir, lookups)).find((t) => t.midi.path === a)).toMatchObject({
      name: 'piece-1',
      renamed: false,
      favourite: false,
    });
  });

  it('deletes a piece with its render and refined take, keeping the other pieces of the same jobs', async () => {
    const a = piece('generated/j1/piece-1.mid', { seed: 1 });
    const b = piece('generated/j1/piece-2.mid', { seed: 2 });
    const render = file('renders/r1/piece-1.wav');
    file('renders/r1/piece-1.wav.json', '{}');
    const otherRender = file('renders/r1/piece-2.wav');
    await recordRenders(dir, [
      { midi: a, wav: render },
      { midi: b, wav: otherRender },
    ]);
    const refined = { midi: file('refined/f1/piece-1.mid'), wav: file('refined/f1/piece-1.wav') };
    file('refined/f1/piece-1.wav.json', '{}');
    await recordRefinement(dir, a, refined);
    await markTake(dir, a, { favourite: true });

    const removed = await removeTake(dir, a);
    expect(removed.sort()).toEqual([a, refined.midi, refined.wav, render].sort());
    for (const gone of [a, a.replace('.mid', '.json'), render, `${render}.json`, refined.midi, refined.wav])
      expect(existsSync(gone)).toBe(false);
    // The refine job held only this piece: its folder goes; the render job's other WAV stays.
    expect(existsSync(path.join(dir, 'refined', 'f1'))).toBe(false);
    expect(readdirSync(path.join(dir, 'renders', 'r1'))).toEqual(['piece-2.wav']);
    const left = await listTakes(dir, lookups);
    expect(left.map((t) => t.midi.path)).toEqual([b]);
    expect(left[0]!.render?.path).toBe(otherRender);
  });

  it('refuses to delete anything that is not a generated piece, naming it', async () => {
    const upload = file('uploads/mine.mid');
    await expect(removeTake(dir, upload)).rejects.toThrow('mine.mid is not a generated piece');
    const outside = path.join(dir, '..', 'elsewhere.mid');
    await expect(removeTake(dir, outside)).rejects.toThrow('elsewhere.mid is not a generated piece');
    expect(existsSync(upload)).toBe(true);
    // A link to a render outside the output folders is dropped, not followed.
    const a = piece('generated/j1/piece-1.mid', {});
    const foreign = file('uploads/keep.wav');
    await recordRenders(dir, [{ midi: a, wav: foreign }]);
    expect(await removeTake(dir, a)).toEqual([a]);
    expect(existsSync(foreign)).toBe(true);
  });
});

describe('renaming models', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-models-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('renames an imported model without making it a training run, and refuses the bundled one and an empty name', async () => {
    cpSync(bundledModelDir(), path.join(dir, 'models', 'imported-x'), { recursive: true });
    rmSync(path.join(dir, 'models', 'imported-x', 'training-log.jsonl'), { force: true });
    expect((await renameModel(dir, 'imported-x', ' Schubert lieder ')).name).toBe('Schubert lieder');
    expect((await listModels(dir)).find((m) => m.id === 'imported-x')?.name).toBe('Schubert lieder');
    expect(await listRuns(dir, new Set())).toEqual([]);
    await expect(renameModel(dir, BUNDLED_MODEL_ID, 'x')).rejects.toThrow(
      'The bundled model cannot be renamed.',
    );
    await expect(renameModel(dir, 'imported-x', '  ')).rejects.toThrow('cannot be empty');
    await expect(renameModel(dir, 'nope', 'x')).rejects.toThrow('There is no model with id nope.');
  });
});

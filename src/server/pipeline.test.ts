/**
 * A whole job pipeline over a real WebSocket, as the UI drives it: import corpus files,
 * preprocess, train the `tiny` model for a few steps, generate, render and evaluate; progress
 * events arrive in order; a cancelled generation leaves no output; a cancelled training stays
 * resumable; models are exported, imported, chosen and deleted.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sharedCorpusOrSkip } from '../core/node/testing/sharedCorpus';
import { TEST_SOUNDFONT } from '../core/node/render/testFixtures';
import { connectWebSocket, type WsConnection } from '../api/wsClient';
import type { JobEvent, JobInfo } from '../api/schemas';
import { startServer, type RunningServer } from './server';

const corpusDir = sharedCorpusOrSkip();
const FILES = ['Chopin/chpn-p10.mid', 'Chopin/chpn-p14.mid', 'Chopin/chpn-p11.mid', 'Chopin/chpn-p5.mid', 'Chopin/chpn-p1.mid', 'Schumann/scn15_3.mid'];

describe.skipIf(!corpusDir)('a full job pipeline over the WebSocket', () => {
  let root: string;
  let dataDir: string;
  let server: RunningServer;
  let conn: WsConnection;
  const events: JobEvent[] = [];

  /** Resolves with the job's final record, from the pushed events alone. */
  const finished = (jobId: string): Promise<JobInfo> =>
    new Promise((resolve) => {
      const check = (e: JobEvent): void => {
        if (e.type === 'job' && e.job.id === jobId && ['succeeded', 'failed', 'cancelled'].includes(e.job.state)) {
          off();
          resolve(e.job);
        }
      };
      const off = conn.api.onEvent(check);
      // It may have ended before we listened.
      void conn.api.jobs.get({ jobId }).then((j) => {
        if (['succeeded', 'failed', 'cancelled'].includes(j.state)) {
          off();
          resolve(j);
        }
      });
    });
  const progressOf = (jobId: string) => events.filter((e): e is Extract<JobEvent, { type: 'progress' }> => e.type === 'progress' && e.jobId === jobId);
  const expectOk = (job: JobInfo): void => {
    expect(job.error?.message ?? '', `${job.kind} failed`).toBe('');
    expect(job.state).toBe('succeeded');
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'cadenza-pipeline-'));
    dataDir = path.join(root, 'data');
    server = await startServer({ dataDir, rendererDir: path.join(root, 'none'), allowDirs: [corpusDir!, path.dirname(TEST_SOUNDFONT)], throttleMs: 50 });
    conn = await connectWebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
      create: (u) => new WebSocket(u, { origin: server.origin }) as never,
    });
    conn.api.onEvent((e) => events.push(e));
  });
  afterAll(async () => {
    conn?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('imports, preprocesses, trains tiny, generates, renders and evaluates, with ordered progress', async () => {
    const imported = await finished((await conn.api.corpus.import({ paths: FILES.map((f) => path.join(corpusDir!, f)) })).jobId);
    expectOk(imported);
    expect(imported.result).toMatchObject({ imported: FILES.length, duplicates: 0, failed: [] });
    const page = await conn.api.corpus.list({ limit: 3 });
    expect(page.total).toBe(FILES.length);
    expect(page.pieces).toHaveLength(3);
    const byLength = (await conn.api.corpus.list({ sort: 'duration', descending: true })).pieces.map((p) => p.durationSeconds);
    expect(byLength).toEqual([...byLength].sort((a, b) => b - a));
    const found = await conn.api.corpus.search({ query: 'schumann' });
    expect(found.total).toBe(1);
    const piece = await conn.api.corpus.get({ id: found.pieces[0]!.id });
    expect(piece.song.notes.length).toBe(piece.piece.noteCount);
    const importProgress = progressOf(imported.id);
    expect(importProgress.length).toBeGreaterThan(0);
    expect(importProgress.map((e) => e.seq)).toEqual(importProgress.map((_, i) => i));

    const prep = await finished((await conn.api.preprocess.start({ tokenizer: 'notes', validationFraction: 0.34 })).jobId);
    expectOk(prep);
    const info = await conn.api.preprocess.info();
    expect(info).toMatchObject({ tokenizer: 'notes', pieces: FILES.length, stale: false, addedPieces: 0 });
    expect(info!.trainTokens).toBeGreaterThan(100);
    // Provenance that outlives the job: the dataset names corpus pieces by id, at their stored files.
    const corpusIds = new Set((await conn.api.corpus.list({})).pieces.map((p) => p.id));
    const index = JSON.parse(readFileSync(path.join(dataDir, 'dataset', 'notes', 'index.json'), 'utf8')) as Array<{ id: string; path: string; sha256: string; composer?: string }>;
    expect(index.map((e) => e.id).sort()).toEqual([...corpusIds].sort());
    for (const entry of index) {
      expect(existsSync(entry.path), entry.path).toBe(true);
      expect(createHash('sha256').update(readFileSync(entry.path)).digest('hex')).toBe(entry.id);
      expect(entry.sha256).toBe(entry.id);
      expect(['Chopin', 'Schumann'].some((c) => entry.composer?.includes(c)), entry.composer).toBe(true);
    }

    const train = await finished((await conn.api.train.start({ preset: 'tiny', epochs: 1, maxSteps: 3, name: 'pipeline test' })).jobId);
    expectOk(train);
    const trainResult = train.result as { runId: string; modelId: string; epochsDone: number; validationLoss: number };
    expect(trainResult.epochsDone).toBe(1);
    expect(Number.isFinite(trainResult.validationLoss)).toBe(true);
    const trainProgress = progressOf(train.id);
    // Progress is ordered: seq counts up without gaps, and within a stage `done` never goes back.
    expect(trainProgress.map((e) => e.seq)).toEqual(trainProgress.map((_, i) => i));
    for (let i = 1; i < trainProgress.length; i++)
      if (trainProgress[i]!.stage === trainProgress[i - 1]!.stage) expect(trainProgress[i]!.done).toBeGreaterThanOrEqual(trainProgress[i - 1]!.done);
    const runs = (await conn.api.train.runs()).runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: trainResult.runId, name: 'pipeline test', preset: 'tiny', state: 'finished', epochsDone: 1, modelId: trainResult.modelId });
    expect(runs[0]!.backend).toBe(trainProgress.find((e) => e.message?.startsWith('backend '))!.message!.slice('backend '.length));
    const models = (await conn.api.models.list()).models;
    expect(models.map((m) => m.id)).toContain(trainResult.modelId);
    expect(models.find((m) => m.id === trainResult.modelId)).toMatchObject({ name: 'pipeline test', isDefault: true, bundled: false });

    const gen = await finished((await conn.api.generate.start({ count: 2, lengthTokens: 40, seed: 7, primerPath: path.join(corpusDir!, FILES[0]!) })).jobId);
    expectOk(gen);
    const files = (gen.result as { files: Array<{ path: string; kind: string }> }).files;
    expect(files).toHaveLength(2);
    for (const f of files) {
      expect(f.path.startsWith(path.join(path.resolve(dataDir), 'generated', gen.id))).toBe(true);
      const midi = await conn.api.files.readMidi({ path: f.path });
      expect(midi.song.notes.length).toBeGreaterThan(0);
    }

    const render = await finished((await conn.api.synthesize.start({ paths: [files[0]!.path], soundFont: TEST_SOUNDFONT })).jobId);
    expectOk(render);
    const wav = (render.result as { files: Array<{ path: string }> }).files[0]!;
    const wave = await conn.api.files.waveform({ path: wav.path, buckets: 100 });
    expect(wave.durationSeconds).toBeGreaterThan(0);
    expect(Math.max(...wave.max)).toBeGreaterThan(0.001);

    const evaluation = await finished((await conn.api.evaluate.start({ paths: files.map((f) => f.path) })).jobId);
    expectOk(evaluation);
    const ev = evaluation.result as { report: { path: string }; summary: Record<string, number> };
    expect(existsSync(ev.report.path)).toBe(true);
    expect(ev.summary.pieces).toBe(2);
    // The report points at the generated files themselves, which the job's end leaves in place.
    const report = JSON.parse(readFileSync(ev.report.path, 'utf8')) as { sets: Array<{ role: string; pieces: Array<{ midiPath?: string }> }> };
    const evaluated = report.sets.find((set) => set.role === 'generated')!.pieces.map((p) => p.midiPath);
    expect(evaluated.sort()).toEqual(files.map((f) => f.path).sort());
    for (const set of report.sets) for (const p of set.pieces) if (p.midiPath) expect(existsSync(p.midiPath), p.midiPath).toBe(true);

    const history = (await conn.api.jobs.list()).jobs;
    expect(history.map((j) => j.kind)).toEqual(['evaluate', 'synthesize', 'generate', 'train', 'preprocess', 'import']);
  });

  it('trains on the GPU through WebGPU when Settings asks for it, and app.info names the GPU', async (ctx) => {
    const gpu = await conn.api.app.gpu();
    expect(gpu.provider).toBe('webgpu');
    expect((await conn.api.app.info()).kernels?.some((k) => k.provider === 'webgpu')).toBe(false);
    if (!gpu!.available) {
      // CI installs lavapipe, so there an adapter must appear.
      if (process.env.CI === 'true') throw new Error(`No WebGPU adapter in CI: ${gpu!.reason}`);
      console.warn(`[skip] app training on the GPU: ${gpu!.reason}`);
      ctx.skip();
    }
    expect(gpu!.device).toMatch(/\(vendor .*, architecture .*\)/);
    await conn.api.settings.update({ backend: 'webgpu' });
    try {
      const train = await finished((await conn.api.train.start({ preset: 'tiny', epochs: 1, maxSteps: 3, name: 'on the gpu' })).jobId);
      expectOk(train);
      expect(Number.isFinite((train.result as { validationLoss: number }).validationLoss)).toBe(true);
      const run = (await conn.api.train.runs()).runs.find((r) => r.name === 'on the gpu');
      expect(run).toMatchObject({ state: 'finished', backend: 'webgpu', epochsDone: 1 });
    } finally {
      await conn.api.settings.update({ backend: 'auto' });
    }
  }, 120_000);

  it('cancels a job at its next safe point and leaves no partial output', async () => {
    const gen = await conn.api.generate.start({ count: 4, lengthTokens: 20_000, seed: 1 });
    await new Promise<void>((resolve) => {
      const off = conn.api.onEvent((e) => {
        if (e.type === 'progress' && e.jobId === gen.jobId) {
          off();
          resolve();
        }
      });
    });
    await conn.api.jobs.cancel({ jobId: gen.jobId });
    const end = await finished(gen.jobId);
    expect(end.state).toBe('cancelled');
    expect(end.error?.code).toBe('CANCELLED');
    expect(existsSync(path.join(dataDir, 'generated', gen.jobId))).toBe(false);
    expect(existsSync(path.join(dataDir, 'tmp', 'jobs', gen.jobId))).toBe(false);
  });

  it('refuses a second training while one runs, and a cancelled training stays resumable', async () => {
    const first = await conn.api.train.start({ preset: 'tiny', epochs: 50, maxSteps: 1000 });
    await expect(conn.api.train.start({ preset: 'tiny' })).rejects.toMatchObject({ name: 'JobError' });
    await new Promise<void>((resolve) => {
      const off = conn.api.onEvent((e) => {
        if (e.type === 'progress' && e.jobId === first.jobId && /^(train|validate|epoch)/.test(e.stage) && e.done >= 2) {
          off();
          resolve();
        }
      });
    });
    expect((await conn.api.train.cancel()).cancelled).toBe(true);
    const end = await finished(first.jobId);
    expect(end.state).toBe('cancelled');
    const runs = (await conn.api.train.runs()).runs;
    const stopped = runs.find((r) => r.state === 'stopped');
    expect(stopped, JSON.stringify(runs)).toBeDefined();
    // Where it stopped, though no epoch ended: its steps and its loss so far.
    expect(stopped!.steps).toBeGreaterThanOrEqual(2);
    expect(Number.isFinite(stopped!.loss)).toBe(true);
    expect(readdirSync(path.join(dataDir, 'models', stopped!.id))).toContain('checkpoint');

    await expect(conn.api.train.resume({ runId: stopped!.id, maxSteps: 5 })).rejects.toMatchObject({ field: 'maxSteps' });
    const resumed = await finished((await conn.api.train.resume({ runId: stopped!.id, epochs: 1 })).jobId);
    expectOk(resumed);
    const after = (await conn.api.train.runs()).runs.find((r) => r.id === stopped!.id)!;
    expect(after).toMatchObject({ state: 'finished', epochsDone: 1, epochsPlanned: 1, modelId: stopped!.id });
  });

  it('exports, imports, chooses and deletes models, and removes pieces from the corpus', async () => {
    const [newest] = (await conn.api.models.list()).models;
    const exported = await conn.api.models.export({ id: newest!.id, path: path.join(dataDir, 'exports', 'my-model') });
    expect(readdirSync(exported.path)).toContain('config.json');
    expect(readdirSync(exported.path)).not.toContain('checkpoint');
    await expect(conn.api.models.export({ id: newest!.id, path: path.join(root, 'elsewhere') })).rejects.toMatchObject({ name: 'ApiError', field: 'path' });
    const imported = await conn.api.models.import({ path: exported.path });
    expect(imported).toMatchObject({ kind: 'lstm', tokenizer: 'notes', bundled: false });
    expect((await conn.api.models.setDefault({ id: imported.id })).isDefault).toBe(true);
    expect((await conn.api.models.list()).models.filter((m) => m.isDefault).map((m) => m.id)).toEqual([imported.id]);
    await conn.api.models.remove({ id: imported.id });
    expect((await conn.api.models.list()).models.map((m) => m.id)).not.toContain(imported.id);
    await expect(conn.api.models.remove({ id: imported.id })).rejects.toMatchObject({ name: 'ModelError' });
    await expect(conn.api.models.import({ path: path.join(dataDir, 'exports') })).rejects.toMatchObject({ name: 'ModelError' });

    const { pieces } = await conn.api.corpus.list();
    expect((await conn.api.corpus.remove({ ids: [pieces[0]!.id] })).removed).toBe(1);
    await expect(conn.api.corpus.get({ id: pieces[0]!.id })).rejects.toMatchObject({ name: 'CorpusError' });
    // The prepared data still holds the removed piece: Train is told so.
    expect(await conn.api.preprocess.info()).toMatchObject({ stale: true, removedPieces: 1, addedPieces: 0 });
    const rescan = await finished((await conn.api.corpus.rescan()).jobId);
    expectOk(rescan);
    expect(rescan.result).toMatchObject({ pieces: FILES.length - 1, failed: [] });
  });
});

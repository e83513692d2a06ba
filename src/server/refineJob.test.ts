/**
 * Refinement through the api: a Music Transformer (trained here, tiny, on synthetic performances,
 * since a checkout may ship none) is imported like a user's model and refines a short piece;
 * the job answers a refined MIDI with the same pitches and a rendered, mastered WAV.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Rng } from '../core/common/random';
import { emptySong, type Song } from '../core/common/song/song';
import { PerformanceTokenizer, performanceTokens } from '../core/common/tokenize/performance';
import { encodeMidi } from '../core/node/midi/write';
import { trainTransformer } from '../core/node/train/trainTransformer';
import { TEST_SOUNDFONT } from '../core/node/render/testFixtures';
import { selectTensorBackend } from '../core/node/tensor/backend';
import { connectWebSocket, type WsConnection } from '../api/wsClient';
import { startServer, type RunningServer } from './server';

/** A melody whose velocities swing between soft and loud, for the model to learn dynamics from. */
function performance(rng: Rng, beats: number): Song {
  const song = emptySong(480);
  for (let b = 0; b < beats; b++) {
    const velocity = rng.next() < 0.5 ? 36 + rng.int(8) : 96 + rng.int(8);
    song.notes.push({ pitch: 60 + rng.int(12), velocity, startTicks: b * 240, endTicks: b * 240 + 200, track: 0, channel: 0 });
  }
  return song;
}

describe('refine over the WebSocket', () => {
  let root: string;
  let dataDir: string;
  let server: RunningServer;
  let conn: WsConnection;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'cadenza-refine-job-'));
    dataDir = path.join(root, 'data');
    server = await startServer({ dataDir, rendererDir: path.join(root, 'none'), allowDirs: [path.dirname(TEST_SOUNDFONT)] });
    conn = await connectWebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
      create: (u) => new WebSocket(u, { origin: server.origin }) as never,
    });
  });
  afterAll(async () => {
    conn?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('imports a Music Transformer and refines a piece with it', async () => {
    await selectTensorBackend('cpu');
    const rng = new Rng(1);
    const tokenizer = new PerformanceTokenizer();
    const vocab = performanceTokens();
    const ids = (s: Song): Uint16Array => Uint16Array.from(tokenizer.encode(s).map((t) => vocab.indexOf(t)));
    const pieces = [
      ...Array.from({ length: 3 }, (_, i) => ({ id: `t${i}`, split: 'train' as const, tokens: ids(performance(rng, 60)) })),
      { id: 'v0', split: 'valid' as const, tokens: ids(performance(rng, 60)) },
    ];
    const counts = new Array<number>(vocab.length).fill(0);
    for (const p of pieces) if (p.split === 'train') for (const t of p.tokens) counts[t]!++;
    const trained = path.join(dataDir, 'uploads', 'my-transformer');
    await trainTransformer(
      { vocab: { kind: 'performance', tokens: vocab, counts }, pieces },
      { modelPath: trained, preset: 'tiny', training: { epochs: 1, maxStepsPerEpoch: 2, batchSize: 4 } },
    );

    const model = await conn.api.models.import({ path: trained });
    expect(model).toMatchObject({ kind: 'transformer', tokenizer: 'performance', isDefault: false, bundled: false });
    expect((await conn.api.app.info()).stages.refine).toBe(true);
    await expect(conn.api.models.setDefault({ id: model.id })).rejects.toMatchObject({ name: 'ModelError' });
    await expect(conn.api.refine.start({ path: 'uploads/short.mid', modelId: 'no-such' })).rejects.toMatchObject({ field: 'modelId' });

    // Two bars of eighths keep the CPU transformer quick.
    const short = emptySong(480);
    for (let i = 0; i < 16; i++) short.notes.push({ pitch: 60 + ((i * 5) % 12), velocity: 72, startTicks: i * 240, endTicks: i * 240 + 200, track: 0, channel: 0 });
    mkdirSync(path.join(dataDir, 'uploads'), { recursive: true });
    writeFileSync(path.join(dataDir, 'uploads', 'short.mid'), encodeMidi(short));
    // The small SoundFont, through the settings every job reads.
    await conn.api.settings.update({ soundFont: TEST_SOUNDFONT });

    const { jobId } = await conn.api.refine.start({ path: 'uploads/short.mid', modelId: model.id, seed: 2 });
    const job = await server.backend.jobs.waitFor(jobId);
    expect(job.error?.message ?? '').toBe('');
    const out = (job.result as { files: Array<{ path: string; kind: string }> }).files;
    expect(out.map((f) => f.kind).sort()).toEqual(['midi', 'wav']);
    for (const f of out) expect(f.path.startsWith(path.join(path.resolve(dataDir), 'refined', jobId))).toBe(true);
    const wave = await conn.api.files.waveform({ path: out.find((f) => f.kind === 'wav')!.path, buckets: 50 });
    expect(Math.max(...wave.max)).toBeGreaterThan(0.001);
    const after = await conn.api.files.readMidi({ path: out.find((f) => f.kind === 'midi')!.path });
    // Strength 0 (the default): the expression changes, the pitches stay.
    expect(after.song.notes.map((n) => n.pitch).sort()).toEqual(short.notes.map((n) => n.pitch).sort());
  }, 180_000);
});

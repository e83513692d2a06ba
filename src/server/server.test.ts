import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiError } from '../core/common/errors';
import { emptySong } from '../core/common/song/song';
import { encodeWav } from '../core/common/audio/wav';
import { encodeMidi } from '../core/node/midi/write';
import { projectRoot } from '../core/node/paths';
import { pruneUploads, UPLOAD_MAX_AGE_MS } from '../app/backend';
import { connectWebSocket, type WsConnection } from '../api/wsClient';
import { MAX_MESSAGE_BYTES } from '../api/protocol';
import { startServer, type RunningServer } from './server';

/** Opens a raw socket and answers the HTTP status of a refused upgrade, or 101 when it connected. */
function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

function rawSocket(server: RunningServer): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { origin: server.origin });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)));
}

/** A two-note song, something an import accepts. */
function twoNotes() {
  const song = emptySong(480);
  song.notes.push({ pitch: 60, velocity: 90, startTicks: 0, endTicks: 480, track: 0, channel: 0 });
  song.notes.push({ pitch: 64, velocity: 80, startTicks: 480, endTicks: 960, track: 0, channel: 0 });
  return song;
}

describe('cadenza serve (browser mode)', () => {
  let root: string;
  let dataDir: string;
  let outside: string;
  let server: RunningServer;
  let conn: WsConnection;
  const http = (p: string, init: RequestInit = {}): Promise<Response> => fetch(`http://127.0.0.1:${server.port}${p}`, init);

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'cadenza-serve-'));
    dataDir = path.join(root, 'data');
    outside = path.join(root, 'outside');
    const rendererDir = path.join(root, 'renderer');
    mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Cadenza</title><script type="module" src="./assets/app.js"></script>');
    writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    symlinkSync(path.join(outside, 'secret.txt'), path.join(rendererDir, 'assets', 'linked.txt'));
    symlinkSync(outside, path.join(rendererDir, 'linked-dir'));
    const song = emptySong(480);
    song.notes.push({ pitch: 60, velocity: 90, startTicks: 0, endTicks: 480, track: 0, channel: 0 });
    song.notes.push({ pitch: 64, velocity: 80, startTicks: 480, endTicks: 960, track: 0, channel: 0 });
    writeFileSync(path.join(outside, 'secret.mid'), encodeMidi(song));
    writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    server = await startServer({ dataDir, rendererDir, port: 0 });
    mkdirSync(path.join(dataDir, 'renders'), { recursive: true });
    writeFileSync(path.join(dataDir, 'renders', 'a.mid'), encodeMidi(song));
    symlinkSync(outside, path.join(dataDir, 'link-out'));
    const sine = Float32Array.from({ length: 8000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    writeFileSync(path.join(dataDir, 'renders', 'tone.wav'), encodeWav({ sampleRateHz: 8000, channels: [sine] }, 'pcm16'));
    conn = await connectWebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
      create: (u) => new WebSocket(u, { origin: server.origin }) as never,
    });
  });
  afterAll(async () => {
    conn?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the page only with the token, with a CSP and a strict cookie for its assets', async () => {
    expect((await http('/')).status).toBe(401);
    expect((await http('/?token=wrong')).status).toBe(401);
    const page = await http(`/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Cadenza</title>');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await http('/assets/app.js')).status).toBe(401);
    const asset = await http('/assets/app.js', { headers: { cookie: cookie.split(';')[0]! } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect((await http('/%2e%2e/outside/secret.txt', { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(404);
    // Links in the UI folder that point outside it are refused like ../ is.
    for (const p of ['/assets/linked.txt', '/linked-dir/secret.txt', '/assets']) {
      const res = await http(p, { headers: { cookie: cookie.split(';')[0]! } });
      expect(res.status, p).toBe(404);
      expect(await res.text(), p).not.toContain('secret');
    }
    expect((await http(`/?token=${server.token}`, { method: 'POST' })).status).toBe(405);
  });

  it('answers only to its own host name (no DNS rebinding)', async () => {
    const res = await new Promise<number>((resolve) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: `/?token=${server.token}`, headers: { host: `evil.example:${server.port}` } }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.end();
      });
    });
    expect(res).toBe(403);
  });

  it('refuses WebSockets without the token, with a wrong one, or from a foreign or missing Origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/api`;
    expect(await upgradeStatus(base, server.origin)).toBe(401);
    expect(await upgradeStatus(`${base}?token=${server.token.slice(0, -1)}x`, server.origin)).toBe(401);
    expect(await upgradeStatus(`${base}?token=${server.token}`, 'http://evil.example')).toBe(403);
    expect(await upgradeStatus(`${base}?token=${server.token}`, `http://localhost:${server.port + 1}`)).toBe(403);
    expect(await upgradeStatus(`${base}?token=${server.token}`)).toBe(403);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/other?token=${server.token}`, server.origin)).toBe(404);
    expect(await upgradeStatus(`${base}?token=${server.token}`, server.origin)).toBe(101);
  });

  it('answers calls with validated data and typed errors', async () => {
    const info = await conn.api.app.info();
    expect(info.mode).toBe('browser');
    expect(info.dataDir).toBe(path.resolve(dataDir));
    await expect(conn.api.corpus.list({ limit: 5000 })).rejects.toMatchObject({ name: 'ApiError', field: 'limit' });
    await expect(conn.api.jobs.get({ jobId: 'nope' })).rejects.toMatchObject({ name: 'JobError', message: 'There is no job with id nope.' });
    await expect(conn.api.dialogs.openMidi()).rejects.toBeInstanceOf(ApiError);
    // Refinement answers a clear error, not a fake result, where the build lacks its model.
    if (!info.stages.refine)
      await expect(conn.api.refine.start({ path: 'renders/a.mid' })).rejects.toMatchObject({ name: 'ApiError', message: expect.stringMatching(/^Refinement /) });
    else expect((await conn.api.refine.start({ path: 'renders/a.mid' })).jobId).toBeTruthy();
    await expect(conn.api.preprocess.start({ tokenizer: 'seed' })).rejects.toMatchObject({ field: 'tokenizer' });
    await expect(conn.api.generate.start({ modelId: 'no-such-model' })).rejects.toMatchObject({ name: 'ApiError', field: 'modelId' });
    await expect(conn.api.settings.chooseDataDir()).rejects.toMatchObject({ field: 'dataDir' });
    expect(await conn.api.preprocess.info()).toBeNull();
    expect(await conn.api.train.runs()).toEqual({ runs: [] });
    const settings = await conn.api.settings.update({ sampleRateHz: 48000 });
    expect(settings.sampleRateHz).toBe(48000);
    expect((await conn.api.settings.get()).sampleRateHz).toBe(48000);
    await expect(conn.api.settings.update({ dataDir: '/tmp' } as never)).rejects.toMatchObject({ name: 'ApiError' });
  });

  it('reads a MIDI file in the data folder as a Song, and a WAV as peaks with a streamable URL', async () => {
    const midi = await conn.api.files.readMidi({ path: 'renders/a.mid' });
    expect(midi.song.notes.map((n) => [n.pitch, n.startTicks, n.endTicks])).toEqual([
      [60, 0, 480],
      [64, 480, 960],
    ]);
    expect(midi.durationSeconds).toBeCloseTo(1, 5);
    const wave = await conn.api.files.waveform({ path: path.join(dataDir, 'renders', 'tone.wav'), buckets: 10 });
    expect(wave.sampleRateHz).toBe(8000);
    expect(wave.durationSeconds).toBe(1);
    expect(wave.max).toHaveLength(10);
    for (const m of wave.max) expect(m).toBeGreaterThan(0.45);
    for (const m of wave.min) expect(m).toBeLessThan(-0.45);
    const whole = await http(wave.url);
    expect(whole.status).toBe(200);
    expect((await whole.arrayBuffer()).byteLength).toBe(44 + 16000);
    const part = await http(wave.url, { headers: { range: 'bytes=0-3' } });
    expect(part.status).toBe(206);
    expect(new TextDecoder().decode(await part.arrayBuffer())).toBe('RIFF');
  });

  it.skipIf(!existsSync(path.join(projectRoot(), 'resources', 'models', 'lstm', 'config.json')))(
    'generates with the bundled model when none was trained, and lists it as the default',
    async () => {
      const models = (await conn.api.models.list()).models;
      expect(models).toEqual([expect.objectContaining({ id: 'bundled', bundled: true, isDefault: true, kind: 'lstm' })]);
      await expect(conn.api.models.remove({ id: 'bundled' })).rejects.toMatchObject({ name: 'ModelError' });
      const { jobId } = await conn.api.generate.start({ count: 1, lengthTokens: 24, seed: 3 });
      const job = await server.backend.jobs.waitFor(jobId);
      expect(job.error?.message ?? '').toBe('');
      const [file] = (job.result as { files: Array<{ path: string }> }).files;
      expect(file!.path.startsWith(path.join(path.resolve(dataDir), 'generated', jobId))).toBe(true);
      expect((await conn.api.files.readMidi({ path: file!.path })).song.notes.length).toBeGreaterThan(0);
    },
  );

  it('serves the SoundFont rendering uses, for live playback in the page', async () => {
    const sf = await conn.api.files.soundFont();
    expect(sf.name).toMatch(/\.sf[23]$/);
    const head = await http(sf.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(sf.sizeBytes);
  });

  it('streams Export all as one ZIP named as the user chose, with the token only, and lists takes over the socket', async () => {
    const piece = path.join(dataDir, 'generated', 'job-1', 'piece-1.mid');
    mkdirSync(path.dirname(piece), { recursive: true });
    writeFileSync(piece, encodeMidi(twoNotes()));
    // An earlier test generated pieces too: this one is found by its file.
    const take = (await conn.api.takes.list()).takes.find((t) => t.midi.path.endsWith(path.join('job-1', 'piece-1.mid')))!;
    expect(take).toMatchObject({ name: 'piece-1', favourite: false });
    expect((await conn.api.takes.update({ path: take.midi.path, name: 'Évening take', favourite: true })).favourite).toBe(true);
    const { url, files } = await conn.api.files.exportAll({ name: 'My session' });
    expect(files).toBeGreaterThanOrEqual(1);
    expect((await http(url!.replace(/token=[^&]+/, 'token=wrong'))).status).toBe(401);
    const res = await http(url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toContain('filename="My session.zip"');
    const zip = path.join(root, 'export.zip');
    writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
    const { runSystemTool } = await import('../core/node/testing/systemTools');
    const listing = runSystemTool('unzip', ['-l', zip]);
    if (listing !== null) {
      expect(listing).toContain('Évening take/Évening take.mid');
      expect(runSystemTool('unzip', ['-t', zip])).toContain('No errors detected');
    }
    // Written to a path the user may write (Electron: a save dialog's answer; here, exports/).
    const written = await conn.api.files.exportAll({ to: path.join(dataDir, 'exports', 'all.zip') });
    expect(written.path).toBe(path.join(realpathSync(dataDir), 'exports', 'all.zip'));
    if (listing !== null) expect(runSystemTool('unzip', ['-l', written.path!])).toContain('Évening take/Évening take.mid');
    await expect(conn.api.files.exportAll({ to: path.join(dataDir, 'takes.json') })).rejects.toMatchObject({ name: 'ApiError' });
    // The page cannot delete anything but a generated piece.
    await expect(conn.api.takes.remove({ path: path.join(dataDir, 'renders', 'a.mid') })).rejects.toMatchObject({ name: 'ApiError' });
    // An evaluation of nothing is refused in one sentence, before a job starts.
    await expect(conn.api.evaluate.start({})).rejects.toMatchObject({ name: 'ApiError', message: 'Choose at least one piece to evaluate.' });
    expect((await conn.api.takes.remove({ path: take.midi.path })).removed).toEqual([take.midi.path]);
    expect(existsSync(piece)).toBe(false);
  });

  it('refuses paths outside the data folder: ../, absolute paths and symlinks', async () => {
    for (const p of ['../outside/secret.mid', path.join(outside, 'secret.mid'), 'link-out/secret.mid', 'renders/../../outside/secret.mid']) {
      await expect(conn.api.files.readMidi({ path: p }), p).rejects.toMatchObject({ name: 'ApiError', message: expect.stringContaining('outside the data folder') });
    }
    await expect(conn.api.files.export({ from: 'renders/a.mid', to: path.join(outside, 'stolen.mid') })).rejects.toMatchObject({ field: 'to' });
    await expect(conn.api.files.export({ from: 'renders/a.mid', to: 'link-out/stolen.mid' })).rejects.toMatchObject({ field: 'to' });
    await expect(conn.api.synthesize.start({ paths: ['/etc/passwd'] })).rejects.toMatchObject({ field: 'paths.0' });
    expect((await http(`/files?path=${encodeURIComponent(path.join(outside, 'secret.txt'))}&token=${server.token}`)).status).toBe(403);
    expect((await http(`/files?path=${encodeURIComponent(path.join(dataDir, 'link-out', 'secret.txt'))}&token=${server.token}`)).status).toBe(403);
    expect((await http(`/files?path=${encodeURIComponent(path.join(dataDir, 'renders', 'a.mid'))}`)).status).toBe(401);
  });

  it('stores uploads under uploads/ with a safe, unique name and copies files out within the data folder', async () => {
    const bytes = Buffer.from(encodeMidi(emptySong())).toString('base64');
    const a = await conn.api.files.upload({ name: '../../evil name.mid', dataBase64: bytes });
    expect(a.path).toBe(path.join(path.resolve(dataDir), 'uploads', 'evil name.mid'));
    const b = await conn.api.files.upload({ name: 'evil name.mid', dataBase64: bytes });
    expect(b.name).toBe('evil name (2).mid');
    await expect(conn.api.files.upload({ name: 'x.sh', dataBase64: bytes })).rejects.toMatchObject({ field: 'name' });
    await expect(conn.api.files.upload({ name: 'x.mid', dataBase64: '%%%' })).rejects.toMatchObject({ field: 'dataBase64' });
    const listed = await conn.api.files.list({ folder: 'uploads' });
    expect(listed.files.map((f) => f.name).sort()).toEqual(['evil name (2).mid', 'evil name.mid']);
    const { url } = await conn.api.files.url({ path: a.path });
    const download = await http(url);
    expect(download.headers.get('content-type')).toBe('audio/midi');
    expect(Buffer.from(await download.arrayBuffer()).toString('base64')).toBe(bytes);
    await expect(conn.api.dialogs.save({ defaultName: 'x.mid' })).rejects.toMatchObject({ name: 'ApiError' });
    await expect(conn.api.dialogs.openFolder()).rejects.toMatchObject({ name: 'ApiError' });
    const out = await conn.api.files.export({ from: a.path, to: 'exports/copy.mid' });
    expect((await conn.api.files.readMidi({ path: out.path })).song.notes).toEqual([]);
  });

  it('stores uploads with names up to the 255 characters the contract allows, twice over', async () => {
    const bytes = Buffer.from(encodeMidi(emptySong())).toString('base64');
    for (const length of [230, 255]) {
      const name = 'long'.repeat(64).slice(0, length - 4) + '.mid';
      const first = await conn.api.files.upload({ name, dataBase64: bytes });
      expect(first.name).toBe(name);
      const second = await conn.api.files.upload({ name, dataBase64: bytes });
      expect(second.name.endsWith(' (2).mid')).toBe(true);
      expect(Buffer.byteLength(second.name)).toBeLessThanOrEqual(255);
    }
  });

  it('removes uploads once their import has ended, refused ones included, and stale ones at start', async () => {
    const good = await conn.api.files.upload({ name: 'to-import.mid', dataBase64: Buffer.from(encodeMidi(twoNotes())).toString('base64') });
    const bad = await conn.api.files.upload({ name: 'refused.mid', dataBase64: 'bm90' });
    const { jobId } = await conn.api.corpus.import({ paths: [good.path, bad.path] });
    await server.backend.jobs.waitFor(jobId);
    await expect.poll(() => existsSync(good.path) || existsSync(bad.path), { timeout: 5000 }).toBe(false);
    // Left over from an earlier run: older than a day goes, a fresh one stays.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-uploads-'));
    writeFileSync(path.join(dir, 'old.mid'), 'x');
    writeFileSync(path.join(dir, 'new.mid'), 'x');
    utimesSync(path.join(dir, 'old.mid'), new Date(Date.now() - 2 * UPLOAD_MAX_AGE_MS), new Date(Date.now() - 2 * UPLOAD_MAX_AGE_MS));
    expect(await pruneUploads(dir, UPLOAD_MAX_AGE_MS)).toBe(1);
    expect(existsSync(path.join(dir, 'new.mid'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('names uploaded pieces by the folder they came from, not by uploads/, and lets the user rename them', async () => {
    const midi = (pitch: number) => {
      const song = twoNotes();
      song.notes[0]!.pitch = pitch;
      return Buffer.from(encodeMidi(song)).toString('base64');
    };
    const inFolder = await conn.api.files.upload({ name: 'kv545.mid', folder: 'Classics/../Mozart', dataBase64: midi(50) });
    expect(inFolder.path).toBe(path.join(path.resolve(dataDir), 'uploads', 'Classics', 'Mozart', 'kv545.mid'));
    const alone = await conn.api.files.upload({ name: 'sketch.mid', dataBase64: midi(51) });
    const { jobId } = await conn.api.corpus.import({ paths: [inFolder.path, alone.path] });
    await server.backend.jobs.waitFor(jobId);
    const { pieces } = await conn.api.corpus.search({ query: 'kv545' });
    expect(pieces).toMatchObject([{ composer: 'Mozart', title: 'Kv545' }]);
    const sketch = (await conn.api.corpus.search({ query: 'sketch' })).pieces[0]!;
    expect(sketch.title).toBe('Sketch');
    expect(sketch.composer).toBeUndefined();
    // The emptied folders go with the uploads.
    await expect.poll(() => existsSync(path.join(dataDir, 'uploads', 'Classics')), { timeout: 5000 }).toBe(false);
    const renamed = await conn.api.corpus.rename({ id: sketch.id, composer: 'Erik Satie', title: 'Vexations' });
    expect(renamed).toMatchObject({ id: sketch.id, composer: 'Erik Satie', title: 'Vexations' });
    expect((await conn.api.corpus.search({ query: 'satie' })).pieces.map((p) => p.id)).toEqual([sketch.id]);
    await expect(conn.api.corpus.rename({ id: sketch.id, title: ' ' })).rejects.toMatchObject({ name: 'CorpusError', field: 'title', message: 'A title cannot be empty.' });
  });

  it('never lets the page overwrite the data folder\'s own files (upload, then export over them)', async () => {
    await conn.api.corpus.list();
    const bad = await conn.api.files.upload({ name: 'x.mid', dataBase64: 'bm90' });
    const managed = ['corpus/index.json', 'corpus/.lock', 'settings.json', 'jobs.json', 'models/default.json', path.join(dataDir, 'corpus', 'index.json')];
    const before = new Map(managed.map((m) => [m, existsSync(path.resolve(dataDir, m)) ? readFileSync(path.resolve(dataDir, m)) : null]));
    for (const to of managed) {
      await expect(conn.api.files.export({ from: bad.path, to }), to).rejects.toMatchObject({
        name: 'ApiError',
        field: 'to',
        message: expect.stringMatching(/^\S+ is in Cadenza's data folder, whose files only Cadenza itself writes; [^.]*\.$/),
      });
      const now = existsSync(path.resolve(dataDir, to)) ? readFileSync(path.resolve(dataDir, to)) : null;
      expect(now, to).toEqual(before.get(to));
    }
    await expect(conn.api.models.export({ id: 'bundled', path: 'models/x' })).rejects.toMatchObject({ field: 'path' });
    await expect(conn.api.corpus.list()).resolves.toMatchObject({ total: expect.any(Number) });
  });

  it('survives malformed, binary and oversized messages', async () => {
    const ws = await rawSocket(server);
    ws.send('not json');
    expect(await nextMessage(ws)).toMatchObject({ type: 'error', error: { code: 'API' } });
    ws.send(JSON.stringify({ type: 'call', id: 7, method: 42 }));
    expect(await nextMessage(ws)).toMatchObject({ type: 'result', id: 7, ok: false });
    ws.send(JSON.stringify({ type: 'call', id: 8, method: 'corpus.nothing' }));
    expect(await nextMessage(ws)).toMatchObject({ id: 8, ok: false, error: { message: 'There is no operation named "corpus.nothing".' } });
    ws.send(JSON.stringify({ type: 'call', id: 9, method: 'constructor.prototype' }));
    expect(await nextMessage(ws)).toMatchObject({ id: 9, ok: false });
    ws.send(Buffer.from([1, 2, 3]));
    expect(await nextMessage(ws)).toMatchObject({ type: 'error' });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);
    // The server and other connections carry on.
    expect((await conn.api.app.info()).mode).toBe('browser');
  });
});

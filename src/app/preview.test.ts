import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, SoundFontError } from '../core/common/errors';
import { decodeWav } from '../core/common/audio/wav';
import { encodeMidi } from '../core/node/midi/write';
import { CorpusStore } from '../core/node/corpus/store';
import { fixtureSong, TEST_SOUNDFONT } from '../core/node/render/testFixtures';
import { openAppBackend, type AppBackend } from './backend';
import { PreviewCache } from './preview';
import type { AppSettings } from './settings';

describe('PreviewCache', () => {
  let dir: string;
  let midi: string;
  let other: string;
  const settings: Pick<AppSettings, 'soundFont' | 'engine' | 'sampleRateHz'> = {
    soundFont: TEST_SOUNDFONT,
    engine: 'auto',
    sampleRateHz: 44100,
  };
  const readWav = (file: string) => decodeWav(new Uint8Array(readFileSync(file)), file);
  const wavs = (cache: PreviewCache): string[] =>
    existsSync(cache.dir) ? readdirSync(cache.dir).filter((n) => n.endsWith('.wav')) : [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-preview-'));
    midi = path.join(dir, 'fixture.mid');
    writeFileSync(midi, encodeMidi(fixtureSong()));
    const song = fixtureSong();
    other = path.join(dir, 'other.mid');
    writeFileSync(
      other,
      encodeMidi({ ...song, notes: song.notes.map((n) => ({ ...n, pitch: n.pitch + 2 })) }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders only the head of a long piece when asked, and the whole of a short one', async () => {
    // 40 copies of the 3-s fixture one after another: a two-minute piece.
    const song = fixtureSong();
    const span = Math.max(...song.notes.map((n) => n.endTicks)) + song.ppq;
    const long = path.join(dir, 'long.mid');
    writeFileSync(
      long,
      encodeMidi({ ...song, notes: Array.from({ length: 40 }, (_, k) => song.notes.map((n) => ({ ...n, startTicks: n.startTicks + k * span, endTicks: n.endTicks + k * span }))).flat() }),
    );
    const cache = new PreviewCache(path.join(dir, 'previews-head'), () => settings);
    const head = await cache.preview(long, { headSeconds: 20 });
    expect(head.partial).toBe(true);
    // The head's music stops at 20 s; the release tail follows.
    expect(head.durationSeconds).toBeGreaterThan(19);
    expect(head.durationSeconds).toBeLessThan(26);
    const whole = await cache.preview(long);
    expect(whole.partial).toBeUndefined();
    expect(whole.durationSeconds).toBeGreaterThan(100);
    expect(whole.wavPath).not.toBe(head.wavPath);
    // No MIDI left behind for the head; a kept head answers again as a head.
    expect(readdirSync(cache.dir).filter((n) => n.endsWith('.mid'))).toEqual([]);
    expect((await cache.preview(long, { headSeconds: 20 })).partial).toBe(true);
    // A short piece has no head of its own: the whole answers.
    const short = await cache.preview(midi, { headSeconds: 20 });
    expect(short.partial).toBeUndefined();
    cache.dispose();
  }, 120_000);

  it('renders a MIDI file once with the SoundFont, then answers the kept WAV, also to a new cache over the folder', async () => {
    const cache = new PreviewCache(path.join(dir, 'previews'), () => settings);
    const first = await cache.preview(midi);
    expect(first.cached).toBe(false);
    const wav = readWav(first.wavPath);
    expect(wav.sampleRateHz).toBe(44100);
    // The fixture's music ends at 3 s; FluidSynth's release tail follows.
    expect(first.durationSeconds).toBeGreaterThan(2.9);
    expect(wav.lengthFrames / wav.sampleRateHz).toBeCloseTo(first.durationSeconds, 6);
    expect(wav.channels[0]!.reduce((peak, x) => Math.max(peak, Math.abs(x)), 0)).toBeGreaterThan(0.01);
    const written = statSync(first.wavPath).ino;
    const second = await cache.preview(midi);
    expect(second).toEqual({ ...first, cached: true });
    const reopened = await new PreviewCache(path.join(dir, 'previews'), () => settings).preview(midi);
    expect(reopened).toEqual({ ...first, cached: true });
    expect(statSync(first.wavPath).ino).toBe(written);
    // A copy of the file elsewhere has the same content: the same preview.
    const copy = path.join(dir, 'copy.mid');
    writeFileSync(copy, encodeMidi(fixtureSong()));
    expect((await cache.preview(copy)).wavPath).toBe(first.wavPath);
    cache.dispose();
  }, 60_000);

  it('renders anew for other notes or another sample rate, and once for two asks at the same time', async () => {
    let rate: 44100 | 48000 = 44100;
    const cache = new PreviewCache(path.join(dir, 'rates'), () => ({ ...settings, sampleRateHz: rate }));
    const [a, b] = await Promise.all([cache.preview(other), cache.preview(other)]);
    expect(a).toEqual(b);
    expect(wavs(cache)).toHaveLength(1);
    rate = 48000;
    const faster = await cache.preview(other);
    expect(faster.cached).toBe(false);
    expect(faster.wavPath).not.toBe(a!.wavPath);
    expect(readWav(faster.wavPath).sampleRateHz).toBe(48000);
    expect((await cache.preview(midi)).wavPath).not.toBe(faster.wavPath);
    expect(wavs(cache)).toHaveLength(3);
    cache.dispose();
  }, 60_000);

  it('keeps the folder under its size, dropping the least recently played first', async () => {
    const cache = new PreviewCache(path.join(dir, 'small'), () => settings, 1);
    const a = await cache.preview(midi);
    const b = await cache.preview(other);
    expect(existsSync(b.wavPath)).toBe(true);
    expect(existsSync(a.wavPath)).toBe(false);
    expect(existsSync(`${a.wavPath}.json`)).toBe(false);
    expect((await cache.preview(midi)).cached).toBe(false);
    cache.dispose();
  }, 60_000);

  it('says which SoundFont is missing instead of rendering', async () => {
    const cache = new PreviewCache(path.join(dir, 'missing'), () => ({
      ...settings,
      soundFont: path.join(dir, 'gone.sf2'),
    }));
    await expect(cache.preview(midi)).rejects.toThrow(SoundFontError);
    await expect(cache.preview(midi)).rejects.toThrow(/gone\.sf2 does not exist/);
  });
});

describe('files.preview', () => {
  let dataDir: string;
  let backend: AppBackend;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-preview-api-'));
    backend = await openAppBackend({
      dataDir,
      mode: 'browser',
      mediaUrl: (p) => `/files?path=${encodeURIComponent(p)}`,
    });
    await backend.settings.update({ soundFont: TEST_SOUNDFONT });
  });
  afterAll(async () => {
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('plays a library piece and a generated file through a kept render in the data folder', async () => {
    const source = path.join(dataDir, 'generated', 'j1', 'piece-1.mid');
    mkdirSync(path.dirname(source), { recursive: true });
    writeFileSync(source, encodeMidi(fixtureSong()));
    const store = await CorpusStore.open(dataDir);
    const imported = await store.import([source]);
    const id = imported.added[0]!.id;

    const piece = await backend.handlers.files.preview({ pieceId: id });
    expect(piece.cached).toBe(false);
    const wavPath = decodeURIComponent(piece.url.replace('/files?path=', ''));
    expect(path.dirname(wavPath)).toBe(path.join(backend.guard.dataDir, 'previews'));
    expect(piece.durationSeconds).toBeGreaterThan(2.9);
    // The generated file has the same notes: the same kept render, at once.
    expect(await backend.handlers.files.preview({ path: source })).toEqual({ ...piece, cached: true });
  }, 60_000);

  it('refuses a request that names no piece, or two', async () => {
    await expect(backend.handlers.files.preview({})).rejects.toThrow(ApiError);
    await expect(backend.handlers.files.preview({ path: 'a.mid', pieceId: 'b' })).rejects.toThrow(
      'Name one piece to play: a MIDI file or a library piece.',
    );
    await expect(backend.handlers.files.preview({ path: '/etc/passwd' })).rejects.toThrow(ApiError);
  });
});

import { existsSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { measureLoudness } from '../../common/audio/loudness';
import { measureLevels } from '../../common/audio/levels';
import { Rng } from '../../common/random';
import { emptySong, type Song } from '../../common/song/song';
import { PerformanceTokenizer, performanceTokens } from '../../common/tokenize/performance';
import { readWavFile } from '../audio/wavFile';
import { readMidiFile } from '../midi/read';
import { writeMidiFile } from '../midi/write';
import { loadTransformer } from '../models/transformer/load';
import { bundledSoundFontPath } from '../render/soundfont';
import { trainTransformer } from '../train/trainTransformer';
import { selectTensorBackend } from '../tensor/backend';
import { refinePieces } from './refine';

let tmp: string;
let modelDir: string;
/** The smallest bundled SoundFont, for tests about files rather than sound. */
const small = bundledSoundFontPath('TimGM6mb');

/** A "corpus" piece: a melody with chords whose velocities swing between soft and loud. */
function corpusSong(rng: Rng, beats: number): Song {
  const song = emptySong(480);
  for (let b = 0; b < beats; b++) {
    const velocity = rng.next() < 0.5 ? 36 + rng.int(8) : 96 + rng.int(8);
    song.notes.push({ pitch: 60 + rng.int(12), velocity, startTicks: b * 240, endTicks: b * 240 + 200, track: 0, channel: 0 });
  }
  return song;
}

beforeAll(async () => {
  await selectTensorBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cadenza-refine-'));
  const rng = new Rng(1);
  const tokenizer = new PerformanceTokenizer();
  const vocab = performanceTokens();
  const ids = (s: Song): Uint16Array => Uint16Array.from(tokenizer.encode(s).map((t) => vocab.indexOf(t)));
  const pieces = [
    ...Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, split: 'train' as const, tokens: ids(corpusSong(rng, 120)) })),
    { id: 'v0', split: 'valid' as const, tokens: ids(corpusSong(rng, 120)) },
  ];
  const counts = new Array<number>(vocab.length).fill(0);
  for (const p of pieces) if (p.split === 'train') for (const t of p.tokens) counts[t]!++;
  modelDir = path.join(tmp, 'model');
  await trainTransformer(
    { vocab: { kind: 'performance', tokens: vocab, counts }, pieces },
    { modelPath: modelDir, preset: 'tiny', training: { epochs: 3, maxStepsPerEpoch: 10, batchSize: 8 } },
  );
}, 180_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('refinePieces', () => {
  it('gives a flat, grid-timed piece the corpus dynamics, keeps its pitches, and masters it to the target', async () => {
    const flat = emptySong(480);
    const rng = new Rng(7);
    for (let b = 0; b < 40; b++)
      flat.notes.push({ pitch: 60 + rng.int(12), velocity: 70, startTicks: b * 240, endTicks: b * 240 + 200, track: 0, channel: 0 });
    const midi = path.join(tmp, 'flat.mid');
    await writeMidiFile(midi, flat);
    const out = path.join(tmp, 'refined');
    const report = await refinePieces({ midiPaths: [midi], outputPath: out, modelPath: modelDir, strength: 0, seed: 3, engine: 'wasm' });
    expect(report.failures).toEqual([]);
    const [piece] = report.pieces;
    expect(piece!.velocity.corpusOverlapAfter).toBeGreaterThan(piece!.velocity.corpusOverlapBefore + 0.2);
    expect(piece!.velocity.after.std).toBeGreaterThan(10);

    const { song: refined } = await readMidiFile(path.join(out, 'flat.mid'));
    expect(refined.notes.map((n) => n.pitch)).toEqual(flat.notes.map((n) => n.pitch));
    const wav = await readWavFile(path.join(out, 'flat.wav'));
    const loudness = measureLoudness(wav.channels, wav.sampleRateHz);
    expect(Math.abs(loudness.integratedLufs - -16)).toBeLessThan(0.5);
    expect(measureLevels(wav.channels).clippedSamples).toBe(0);
    const sidecar = JSON.parse(await fs.readFile(path.join(out, 'flat.wav.json'), 'utf8')) as { refinedMidi: string };
    expect(sidecar.refinedMidi).toBe(path.resolve(out, 'flat.mid'));
  }, 120_000);

  it('leaves neither the refined MIDI nor its WAV when the disk fills while writing the WAV', async () => {
    const song = emptySong(480);
    for (let b = 0; b < 16; b++)
      song.notes.push({ pitch: 60 + (b % 7), velocity: 70, startTicks: b * 240, endTicks: b * 240 + 200, track: 0, channel: 0 });
    const midi = path.join(tmp, 'full.mid');
    await writeMidiFile(midi, song);
    const out = path.join(tmp, 'full-disk');
    const realOpen = fs.open.bind(fs);
    const spy = vi.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      // The WAV's temporary file (".full.wav.<pid>…", not its sidecar's): writing it fails as on a full disk.
      if (/^\.full\.wav\.\d/.test(path.basename(String(args[0]))))
        handle.writeFile = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
      return handle;
    });
    const report = await refinePieces({ midiPaths: [midi], outputPath: out, modelPath: modelDir, engine: 'wasm', soundfontPath: small }).finally(() =>
      spy.mockRestore(),
    );
    expect(report.pieces).toEqual([]);
    expect(report.failures[0]!.error.message).toBe(`Could not write ${path.join(out, 'full.wav')}: the disk is full.`);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  }, 120_000);

  it('refuses a MIDI file with no notes as damaged input (exit 1), not as a usage error', async () => {
    const midi = path.join(tmp, 'silent.mid');
    await writeMidiFile(midi, emptySong(480));
    const report = await refinePieces({ midiPaths: [midi], outputPath: path.join(tmp, 'r3'), modelPath: modelDir, engine: 'wasm', soundfontPath: small });
    expect(report.failures[0]!.error).toMatchObject({ code: 'MIDI_PARSE', message: `${midi} has no notes to refine.` });
  });

  it('reports a WAV without a sidecar and goes on with the rest', async () => {
    const lonely = path.join(tmp, 'lonely.wav');
    await fs.writeFile(lonely, new Uint8Array(44));
    const report = await refinePieces({ audioPaths: [lonely], outputPath: path.join(tmp, 'r2'), modelPath: modelDir, engine: 'wasm' });
    expect(report.pieces).toEqual([]);
    expect(report.failures[0]!.error.message).toMatch(/lonely\.wav has no sidecar/);
  });

  it('refuses a folder that is not a transformer model, naming it', async () => {
    await expect(loadTransformer(tmp)).rejects.toThrow(/is not a transformer model folder/);
  });
});

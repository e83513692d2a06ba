import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeMidi } from '../../core/node/midi/write';
import type { SynthesizeReport } from '../../core/node/render/batch';
import { fixtureSong, TEST_SOUNDFONT } from '../../core/node/render/testFixtures';
import { main } from '../main';

let dir: string;
let midi: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cadenza-cli-synth-'));
  midi = path.join(dir, 'piece.mid');
  await writeFile(midi, encodeMidi(fixtureSong()));
  await writeFile(path.join(dir, 'fake.mid'), 'not midi');
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
    const code = await main(['node', 'cadenza', 'synthesize', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('cadenza synthesize', () => {
  it('renders a file and prints the report as JSON', async () => {
    const out = path.join(dir, 'audio');
    const r = await run(
      '--midi_path',
      midi,
      '--output_path',
      out,
      '--soundfont',
      TEST_SOUNDFONT,
      '--engine',
      'wasm',
      '--format',
      'float',
      '--sample-rate',
      '48000',
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as SynthesizeReport;
    expect(report.engine).toBe('wasm');
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({
      format: 'float32',
      sampleRateHz: 48000,
      wavPath: path.join(out, 'piece.wav'),
    });
    expect((await readdir(out)).sort()).toEqual(['piece.wav', 'piece.wav.json']);
  });

  it('prints a human summary that names the engine', async () => {
    const r = await run(
      '--midi_path',
      midi,
      '--output_path',
      path.join(dir, 'human'),
      '--soundfont',
      TEST_SOUNDFONT,
      '--engine',
      'wasm',
      '--max-tail',
      '0',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /^Rendered 1 file \(0:03 of audio\) in [\d.]+ s with the wasm engine \(FluidSynth 2\.3\.0\)\./,
    );
    expect(r.out).toContain('peak ');
  });

  it('exits 2 for bad flags, naming the flag', async () => {
    for (const [flag, value, message] of [
      ['--format', 'mp3', '--format must be one of pcm16, pcm24, float32, not "mp3".'],
      ['--sample-rate', '22050', '--sample-rate must be one of 44100, 48000, not "22050".'],
      ['--engine', 'gpu', '--engine must be one of auto, native, wasm, not "gpu".'],
      ['--gain', '11', '--gain must be a number from 0 to 10, not "11".'],
    ] as const) {
      const r = await run('--midi_path', midi, '--output_path', path.join(dir, 'never'), flag, value);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`cadenza: ${message}\n`);
    }
    const none = await run('--output_path', path.join(dir, 'never'));
    expect(none.code).toBe(2);
    expect(none.err).toContain('--midi_path is required');
    await expect(readdir(path.join(dir, 'never'))).rejects.toThrow();
  });

  it('exits 2 for a missing SoundFont and 1 for a non-MIDI file, one sentence each, making no folder', async () => {
    const missing = path.join(dir, 'missing.sf2');
    const a = await run('--midi_path', midi, '--output_path', path.join(dir, 'bad1'), '--soundfont', missing);
    expect(a.code).toBe(2);
    expect(a.err).toBe(`cadenza: --soundfont names ${missing}, which does not exist.\n`);
    expect(existsSync(path.join(dir, 'bad1'))).toBe(false);
    const out = path.join(dir, 'bad2');
    const b = await run(
      '--midi_path',
      path.join(dir, 'fake.mid'),
      '--output_path',
      out,
      '--soundfont',
      TEST_SOUNDFONT,
      '--engine',
      'wasm',
      '--quiet',
    );
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/^cadenza: .*fake\.mid.*\n$/);
    expect(b.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { FluidBackend } from './backend';
import { FluidSynth } from './fluidLoop';

/**
 * A FluidSynth stand-in whose synthesizer writes a constant level and whose player plays for
 * `playFrames` frames (rounded up to whole blocks, as a real player is checked once a block).
 */
function fakeBackend(playFrames: number, level = 0.5): FluidBackend & { written: () => number } {
  let written = 0;
  return {
    engine: 'wasm',
    version: 'fake',
    written: () => written,
    newSettings: () => ({}),
    deleteSettings: () => {},
    setStr: () => true,
    setInt: () => true,
    setNum: () => true,
    newSynth: () => ({}),
    deleteSynth: () => {},
    loadSoundFont: () => 1,
    getSoundFont: () => ({}),
    addSoundFont: () => 1,
    removeSoundFont: () => {},
    systemReset: () => {},
    activeVoiceCount: () => 0,
    writeFloat: (_synth, frames, left, right, offset) => {
      left.fill(level, offset, offset + frames);
      right.fill(-level, offset, offset + frames);
      written += frames;
    },
    newPlayer: () => {
      written = 0;
      return {};
    },
    deletePlayer: () => {},
    playerAddMidi: () => true,
    playerPlay: () => true,
    playerIsPlaying: () => written < playFrames,
    takeLogMessages: () => [],
    dispose: () => {},
  };
}

const options = { soundfontPath: 'fake.sf2', sampleRateHz: 44100, gain: 0.2 };

describe('FluidSynth.renderMidiTo', () => {
  it('hands the audio on as it renders, in pieces of at most a storage chunk, all of it in order', async () => {
    const backend = fakeBackend(200_000);
    const synth = FluidSynth.create(backend, options);
    const pieces: number[] = [];
    let writtenAtFirstPiece = -1;
    let left: number[] = [];
    const stream = await synth.renderMidiTo(
      new Uint8Array(),
      (l, r) => {
        if (writtenAtFirstPiece < 0) writtenAtFirstPiece = backend.written();
        pieces.push(l.length);
        expect(r.length).toBe(l.length);
        left = left.concat([l[0]!, l[l.length - 1]!]);
      },
      { maxTailSeconds: 0 },
    );
    expect(stream.lengthFrames).toBe(200_000);
    expect(stream.playedFrames).toBe(200_000);
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(200_000);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(65_536);
    // Streamed: the first piece left while most of the piece was still to be rendered.
    expect(writtenAtFirstPiece).toBeLessThan(200_000 / 2);
    expect(new Set(left)).toEqual(new Set([0.5]));
    synth.dispose();
  });

  it('fades a tail cut at the limit over its last 50 ms, across the chunk boundary it straddles', async () => {
    // The music ends at 1 s; the voices never die, so the 0.5 s limit cuts them: 66,150 frames,
    // the fade over frames 63,945 to 66,149, across the first chunk's end at 65,536.
    const synth = FluidSynth.create(fakeBackend(Infinity), options);
    const audio = await synth.renderMidi(new Uint8Array(), { maxTailSeconds: 0.5, musicEndSeconds: 1 });
    const [l, r] = audio.channels;
    expect(l!.length).toBe(66_150);
    expect(audio.tailFrames).toBe(22_050);
    const n = 2205;
    let worst = 0;
    for (let i = 0; i < l!.length; i++) {
      const k = i - (l!.length - n);
      const expected = k < 0 ? 0.5 : 0.5 * (1 - (k + 1) / n);
      worst = Math.max(worst, Math.abs(l![i]! - expected), Math.abs(r![i]! + expected));
    }
    expect(worst).toBeLessThan(1e-7);
    // Storage chunks are reused from render to render: a second render gives the same audio.
    const again = await synth.renderMidi(new Uint8Array(), { maxTailSeconds: 0.5, musicEndSeconds: 1 });
    expect(Buffer.from(again.channels[0]!.buffer).equals(Buffer.from(l!.buffer))).toBe(true);
    synth.dispose();
  });

  it('takes back its chunks when the sink fails, and renders again after', async () => {
    const synth = FluidSynth.create(fakeBackend(300_000), options);
    await expect(
      synth.renderMidiTo(
        new Uint8Array(),
        () => {
          throw new Error('disk full');
        },
        { maxTailSeconds: 0 },
      ),
    ).rejects.toThrow('disk full');
    const audio = await synth.renderMidi(new Uint8Array(), { maxTailSeconds: 0 });
    expect(audio.channels[0]!.length).toBe(300_032);
    synth.dispose();
  });
});

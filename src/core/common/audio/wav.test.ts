import { describe, expect, it } from 'vitest';
import { AudioError } from '../errors';
import {
  decodeWav,
  encodeWav,
  encodeWavFrames,
  WAV_HEADER_BYTES,
  wavHeader,
  WAV_SAMPLE_FORMATS,
  type PcmAudio,
} from './wav';

/** A short stereo test signal: a 440 Hz sine left, a 1 kHz sine at half level right, plus full-scale edges. */
function testSignal(sampleRateHz: number): PcmAudio {
  const n = 1000;
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    left[i] = 0.9 * Math.sin((2 * Math.PI * 440 * i) / sampleRateHz);
    right[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / sampleRateHz);
  }
  left[0] = 1;
  left[1] = -1;
  right[0] = -0.999;
  return { sampleRateHz, channels: [left, right] };
}

const tolerance = { pcm16: 1 / 32768, pcm24: 1 / 8388608, float32: 0 } as const;

describe('encodeWav / decodeWav', () => {
  for (const format of WAV_SAMPLE_FORMATS)
    for (const rate of [44100, 48000])
      it(`round-trips stereo ${format} at ${rate} Hz within one step`, () => {
        const audio = testSignal(rate);
        const bytes = encodeWav(audio, format);
        const width = format === 'pcm16' ? 2 : format === 'pcm24' ? 3 : 4;
        expect(bytes.length).toBe(44 + 1000 * 2 * width);
        const decoded = decodeWav(bytes);
        expect(decoded.format).toBe(format);
        expect(decoded.sampleRateHz).toBe(rate);
        expect(decoded.lengthFrames).toBe(1000);
        expect(decoded.channels).toHaveLength(2);
        for (let c = 0; c < 2; c++) {
          let maxError = 0;
          for (let i = 0; i < 1000; i++)
            maxError = Math.max(maxError, Math.abs(decoded.channels[c]![i]! - audio.channels[c]![i]!));
          // Rounding to nearest is within half a step; clamping 1.0 to the largest sample costs one step.
          expect(maxError).toBeLessThanOrEqual(tolerance[format]);
        }
        // Decoding then encoding again reproduces the bytes exactly.
        expect(encodeWav(decoded, format)).toEqual(bytes);
      });

  it('writes mono and the canonical header fields', () => {
    const bytes = encodeWav({ sampleRateHz: 48000, channels: [new Float32Array([0, 0.5, -0.5])] }, 'pcm16');
    const view = new DataView(bytes.buffer);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('RIFF');
    expect(view.getUint32(4, true)).toBe(36 + 6);
    expect(view.getUint16(20, true)).toBe(1);
    expect(view.getUint16(22, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(48000);
    expect(view.getUint32(28, true)).toBe(96000);
    expect(view.getUint16(34, true)).toBe(16);
    expect([view.getInt16(44, true), view.getInt16(46, true), view.getInt16(48, true)]).toEqual([
      0, 16384, -16384,
    ]);
    expect(Array.from(decodeWav(bytes).channels[0]!)).toEqual([0, 0.5, -0.5]);
  });

  it('clamps out-of-range samples and encodes 24-bit little-endian two’s complement', () => {
    const bytes = encodeWav(
      { sampleRateHz: 44100, channels: [new Float32Array([2, -2, -1 / 8388608])] },
      'pcm24',
    );
    expect(Array.from(bytes.subarray(44))).toEqual([0xff, 0xff, 0x7f, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff]);
  });

  it('skips unknown chunks, honours odd-size padding and reads WAVE_FORMAT_EXTENSIBLE', () => {
    // fmt (extensible, 40 bytes), a 3-byte LIST chunk padded to 4, then data: one stereo 16-bit frame.
    const parts: number[] = [];
    const tag = (s: string): void => void parts.push(...Array.from(s, (ch) => ch.charCodeAt(0)));
    const u32 = (v: number): void =>
      void parts.push(v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255);
    const u16 = (v: number): void => void parts.push(v & 255, (v >> 8) & 255);
    tag('RIFF');
    u32(0);
    tag('WAVE');
    tag('fmt ');
    u32(40);
    u16(0xfffe);
    u16(2);
    u32(44100);
    u32(44100 * 4);
    u16(4);
    u16(16);
    u16(22);
    u16(16);
    u32(3);
    u16(1); // sub-format: PCM
    parts.push(0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71);
    tag('LIST');
    u32(3);
    parts.push(1, 2, 3, 0);
    tag('data');
    u32(4);
    u16(0x4000);
    u16(0xc000);
    const decoded = decodeWav(new Uint8Array(parts));
    expect(decoded.format).toBe('pcm16');
    expect(decoded.channels.map((c) => Array.from(c))).toEqual([[0.5], [-0.5]]);
  });

  it('reads 8-bit PCM and 64-bit float', () => {
    const header = (formatTag: number, bits: number, dataBytes: number): number[] => {
      const b = new Uint8Array(44);
      const v = new DataView(b.buffer);
      b.set([82, 73, 70, 70], 0);
      v.setUint32(4, 36 + dataBytes, true);
      b.set([87, 65, 86, 69, 102, 109, 116, 32], 8);
      v.setUint32(16, 16, true);
      v.setUint16(20, formatTag, true);
      v.setUint16(22, 1, true);
      v.setUint32(24, 8000, true);
      v.setUint32(28, 8000 * (bits / 8), true);
      v.setUint16(32, bits / 8, true);
      v.setUint16(34, bits, true);
      b.set([100, 97, 116, 97], 36);
      v.setUint32(40, dataBytes, true);
      return Array.from(b);
    };
    expect(Array.from(decodeWav(new Uint8Array([...header(1, 8, 2), 0, 192])).channels[0]!)).toEqual([
      -1, 0.5,
    ]);
    const f64 = new Uint8Array(8);
    new DataView(f64.buffer).setFloat64(0, -0.25, true);
    expect(Array.from(decodeWav(new Uint8Array([...header(3, 64, 8), ...f64])).channels[0]!)).toEqual([
      -0.25,
    ]);
  });

  it('rejects what is not a readable WAV with one sentence naming the file', () => {
    const good = encodeWav({ sampleRateHz: 44100, channels: [new Float32Array(10)] }, 'pcm16');
    const cases: Array<[Uint8Array, RegExp]> = [
      [
        new TextEncoder().encode('MThd not a wav at all'),
        /song\.wav is not a WAV file Cadenza can read: it does not start with a RIFF\/WAVE header\.$/,
      ],
      [good.subarray(0, 50), /cut short/],
      [good.subarray(0, 36), /no data chunk/],
    ];
    const alaw = good.slice();
    new DataView(alaw.buffer).setUint16(20, 6, true);
    cases.push([alaw, /format 6 with 16 bits/]);
    for (const [bytes, message] of cases) {
      let caught: unknown;
      try {
        decodeWav(bytes, 'song.wav');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AudioError);
      expect((caught as AudioError).message).toMatch(message);
      expect((caught as AudioError).path).toBe('song.wav');
    }
  });

  it('refuses to encode channels of unequal length or no channels', () => {
    expect(() =>
      encodeWav({ sampleRateHz: 44100, channels: [new Float32Array(2), new Float32Array(3)] }, 'pcm16'),
    ).toThrow(/differ in length/);
    expect(() => encodeWav({ sampleRateHz: 44100, channels: [] }, 'float32')).toThrow(AudioError);
    expect(() => encodeWav({ sampleRateHz: 44100.5, channels: [new Float32Array(1)] }, 'float32')).toThrow(
      /44100\.5 Hz/,
    );
  });

  it('encodes in pieces (header first, frames after) exactly what it encodes whole, aligned or not', () => {
    const audio = testSignal(44100);
    for (const format of WAV_SAMPLE_FORMATS) {
      const whole = encodeWav(audio, format, { quantization: 'libsndfile' });
      const parts = [wavHeader(format, 2, 44100, 1000)];
      for (const [start, end] of [
        [0, 1],
        [1, 640],
        [640, 1000],
      ] as const)
        parts.push(
          encodeWavFrames(
            audio.channels.map((c) => c.subarray(start, end)),
            format,
            { quantization: 'libsndfile' },
          ),
        );
      expect(Buffer.concat(parts)).toEqual(Buffer.from(whole));
      // Into bytes that typed arrays cannot view (odd offset): the same samples.
      const odd = new Uint8Array(1 + whole.length - WAV_HEADER_BYTES);
      encodeWavFrames(audio.channels, format, { quantization: 'libsndfile' }, odd.subarray(1));
      expect(Buffer.from(odd.subarray(1))).toEqual(Buffer.from(whole.subarray(WAV_HEADER_BYTES)));
    }
  });

  it('rounds as libsndfile does (lrintf of x * 2^31, clipped, shifted), on a million samples and the edges', () => {
    // The long form, as libsndfile writes it, against which the closed form in wav.ts is checked.
    const lrint32 = (x: number): number => {
      if (Number.isNaN(x)) return 0;
      const scaled = Math.fround(x * 2147483648);
      if (scaled >= 2147483647) return 2147483647;
      if (scaled <= -2147483648) return -2147483648;
      const rounded = Math.round(scaled);
      return rounded - scaled === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
    };
    const n = 1 << 20;
    const bits = new Uint32Array(n);
    const samples = new Float32Array(bits.buffer);
    let seed = 12345;
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      // Exponents 100 to 127: magnitudes from 2^-27 to 2, where the rounding and clipping happen.
      bits[i] = (seed & 0x807fffff) | ((100 + (i % 28)) << 23);
    }
    const edges = [
      0,
      -0,
      1,
      -1,
      1.5,
      -1.5,
      0.99999994,
      -0.99999994,
      2 ** -8,
      -(2 ** -8),
      3 * 2 ** -17,
      -3 * 2 ** -17,
    ];
    edges.forEach((x, i) => (samples[i] = x));
    const pcm16 = encodeWav({ sampleRateHz: 44100, channels: [samples] }, 'pcm16', {
      quantization: 'libsndfile',
    });
    const pcm24 = encodeWav({ sampleRateHz: 44100, channels: [samples] }, 'pcm24', {
      quantization: 'libsndfile',
    });
    const v16 = new DataView(pcm16.buffer, WAV_HEADER_BYTES);
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const x = samples[i]!;
      const o = WAV_HEADER_BYTES + 3 * i;
      const got24 = ((pcm24[o + 2]! << 24) | (pcm24[o + 1]! << 16) | (pcm24[o]! << 8)) >> 8;
      if (v16.getInt16(2 * i, true) !== lrint32(x) >> 16 || got24 !== lrint32(x) >> 8) wrong++;
    }
    expect(wrong).toBe(0);
  });
});

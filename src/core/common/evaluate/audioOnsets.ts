/**
 * An onset-strength envelope from audio (spectral flux), so tempo consistency is measured on
 * rendered and refined audio the same way as on MIDI onsets. Mono mix, decimated to about 11 kHz,
 * 512-point Hann frames at about 100 frames per second, log-compressed magnitudes, half-wave
 * rectified frame-to-frame increase summed over bins, minus its 0.5 s moving average (Böck et al. 2012, simplified).
 */
import type { Hertz } from '../units';

/** An envelope and its exact frame rate. */
export interface OnsetEnvelope {
  envelope: Float32Array;
  /** Frames per second (about 100; exact value from the hop). */
  frameRateHz: Hertz;
}

/** In-place iterative radix-2 FFT of (re, im), length a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a]! += tr;
        im[a]! += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/** The spectral-flux onset envelope of float audio channels. */
export function onsetEnvelopeFromAudio(
  channels: readonly Float32Array[],
  sampleRateHz: Hertz,
): OnsetEnvelope {
  const factor = Math.max(1, Math.floor(sampleRateHz / 11025));
  const rate = sampleRateHz / factor;
  const length = Math.floor(Math.min(...channels.map((c) => c.length)) / factor);
  // Boxcar decimation is a crude low-pass, but onsets live in broadband energy changes, not in detail above 5 kHz.
  const mono = new Float64Array(length);
  for (const c of channels)
    for (let i = 0; i < length; i++) {
      let s = 0;
      for (let k = 0; k < factor; k++) s += c[i * factor + k]!;
      mono[i]! += s / (factor * channels.length);
    }
  const size = 512;
  const hop = Math.max(1, Math.round(rate / 100));
  const frames = length >= size ? Math.floor((length - size) / hop) + 1 : 0;
  const window = Float64Array.from(
    { length: size },
    (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size),
  );
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  let previous = new Float64Array(size / 2 + 1);
  let current = new Float64Array(size / 2 + 1);
  const flux = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < size; i++) {
      re[i] = mono[f * hop + i]! * window[i]!;
      im[i] = 0;
    }
    fft(re, im);
    let sum = 0;
    for (let k = 0; k <= size / 2; k++) {
      current[k] = Math.log1p(100 * Math.hypot(re[k]!, im[k]!));
      if (f > 0 && current[k]! > previous[k]!) sum += current[k]! - previous[k]!;
    }
    flux[f] = sum;
    [previous, current] = [current, previous];
  }
  const frameRateHz = rate / hop;
  const half = Math.round(0.25 * frameRateHz);
  const envelope = new Float32Array(frames);
  let run = 0;
  for (let i = 0; i < Math.min(frames, half); i++) run += flux[i]!;
  for (let i = 0; i < frames; i++) {
    if (i + half < frames) run += flux[i + half]!;
    if (i - half - 1 >= 0) run -= flux[i - half - 1]!;
    const count = Math.min(frames - 1, i + half) - Math.max(0, i - half) + 1;
    envelope[i] = Math.max(0, flux[i]! - run / count);
  }
  return { envelope, frameRateHz };
}

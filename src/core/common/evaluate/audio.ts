/** Every audio measure of one file: loudness, peaks, clipping, SNR and tempo consistency. */
import type { PcmAudio } from '../audio/wav';
import { measureLevels } from '../audio/levels';
import { measureLoudness } from '../audio/loudness';
import { noiseFloorSnr } from '../audio/snr';
import type { Decibels, Hertz, Lufs, Seconds } from '../units';
import { onsetEnvelopeFromAudio } from './audioOnsets';
import { tempoConsistency } from './tempo';

/** Audio measures of one file. -Infinity (null in JSON) marks silence. */
export interface AudioMeasures {
  durationSeconds: Seconds;
  sampleRateHz: Hertz;
  channels: number;
  /** Bits per stored sample (16, 24, 32…). */
  bitsPerSample: number;
  /** Gated integrated loudness, BS.1770-4. */
  integratedLufs: Lufs;
  /** Loudness range, EBU Tech 3342, in LU. */
  loudnessRangeLu: number;
  /** True peak (4x oversampled), dBTP. */
  truePeakDbtp: Decibels;
  /** Sample peak, dBFS. */
  samplePeakDbfs: Decibels;
  /** Samples (per channel) at or beyond full scale. */
  clippedSamples: number;
  /** Clipped samples as a share of all samples. */
  clippedShare: number;
  /** SNR against the noise floor of the quietest 10% of 50 ms blocks (see `noiseFloorSnr`), dB. */
  snrDb: Decibels;
  /** That noise floor, dBFS. */
  noiseFloorDbfs: Decibels;
  /** True when the floor is the format's quantization noise (the quiet blocks were digital silence). */
  noiseFloorIsQuantization: boolean;
  /** Tempo consistency from spectral-flux onsets (see tempo.ts). */
  tempoConsistency: number;
  /** Median local tempo from those onsets, BPM. */
  medianBpm: number;
}

/** Measures one decoded file; `bitsPerSample` sets the quantization floor of the SNR. */
export function measureAudio(audio: PcmAudio, bitsPerSample: number): AudioMeasures {
  const { channels, sampleRateHz } = audio;
  const frames = channels[0]?.length ?? 0;
  const loudness = measureLoudness(channels, sampleRateHz);
  const levels = measureLevels(channels);
  let snr = { snrDb: NaN, noiseFloorDbfs: NaN, flooredAtQuantization: false };
  // Under 0.1 s there are not two blocks to compare; the SNR stays undefined.
  if (frames >= 0.1 * sampleRateHz)
    snr = noiseFloorSnr(channels, sampleRateHz, { bitsPerSample: Math.min(bitsPerSample, 24) });
  const onsets = onsetEnvelopeFromAudio(channels, sampleRateHz);
  const tempo = tempoConsistency(onsets.envelope, onsets.frameRateHz);
  return {
    durationSeconds: frames / sampleRateHz,
    sampleRateHz,
    channels: channels.length,
    bitsPerSample,
    integratedLufs: loudness.integratedLufs,
    loudnessRangeLu: loudness.loudnessRangeLu,
    truePeakDbtp: loudness.truePeakDbtp,
    samplePeakDbfs: loudness.samplePeakDbfs,
    clippedSamples: levels.clippedSamples,
    clippedShare: frames ? levels.clippedSamples / (frames * channels.length) : 0,
    snrDb: snr.snrDb,
    noiseFloorDbfs: snr.noiseFloorDbfs,
    noiseFloorIsQuantization: snr.flooredAtQuantization,
    tempoConsistency: tempo.consistency,
    medianBpm: tempo.medianBpm,
  };
}

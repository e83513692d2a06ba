/**
 * The evaluation report: what `cadenza evaluate` writes as report.json, what report.html is
 * drawn from, and what the app reads. Plain data; NaN and ±Infinity become null in JSON.
 */
import type { AudioMeasures } from './audio';
import type { MeasureComparison, SetSummary } from './compare';
import type { Summary } from './distributions';
import type { Likelihood } from './likelihood';
import type { MeasureInfo, PieceMeasures, ScalarMeasureId, VectorMeasureInfo } from './measures';

/** The report format's name. */
export const REPORT_FORMAT = 'cadenza-evaluation';
/** Bumped when a reader of the old layout would misread the new one. */
export const REPORT_VERSION = 1;

/** Which input a set came from. */
export type SetRole = 'reference' | 'generated' | 'refined' | 'audio';

/** How a set's path was read. */
export type SourceKind = 'midi-folder' | 'corpus' | 'processed-data' | 'file';

/** The longest span of a piece found verbatim in the reference set. */
export interface CopiedSpanReport {
  /** Events (onsets: a note or chord) in the span. */
  events: number;
  /** The span as a share of the piece's events (0..1). */
  share: number;
  /** The reference piece it was found in, when the span is at least 4 events. */
  referenceName?: string;
  /** Event offset of the span in the piece. */
  offset: number;
}

/** One piece (a MIDI file, a WAV file, or both with the same name). */
export interface PieceReport {
  /** Path relative to the set's folder, without extension. */
  name: string;
  /** The MIDI file, when there is one. */
  midiPath?: string;
  /** The WAV file, when there is one. */
  audioPath?: string;
  /** Music measures of the MIDI file. */
  measures?: PieceMeasures;
  /** Memorization check against the reference set (the piece itself excluded). */
  copied?: CopiedSpanReport;
  /** Audio measures of the WAV file. */
  audio?: AudioMeasures;
  /** Why a file of this piece could not be read (one sentence); the other measures still stand. */
  error?: string;
}

/** Numeric fields of `AudioMeasures` that are summarised over a set. */
export type AudioMeasureId =
  | 'durationSeconds'
  | 'integratedLufs'
  | 'loudnessRangeLu'
  | 'truePeakDbtp'
  | 'samplePeakDbfs'
  | 'clippedSamples'
  | 'snrDb'
  | 'noiseFloorDbfs'
  | 'tempoConsistency'
  | 'medianBpm';

/** How audio measures are shown. */
export const AUDIO_MEASURES: readonly { id: AudioMeasureId; label: string; unit: string }[] = [
  { id: 'durationSeconds', label: 'Duration', unit: 's' },
  { id: 'integratedLufs', label: 'Integrated loudness', unit: 'LUFS' },
  { id: 'loudnessRangeLu', label: 'Loudness range', unit: 'LU' },
  { id: 'truePeakDbtp', label: 'True peak', unit: 'dBTP' },
  { id: 'samplePeakDbfs', label: 'Sample peak', unit: 'dBFS' },
  { id: 'clippedSamples', label: 'Clipped samples', unit: 'samples' },
  { id: 'snrDb', label: 'SNR (noise floor)', unit: 'dB' },
  { id: 'noiseFloorDbfs', label: 'Noise floor', unit: 'dBFS' },
  { id: 'tempoConsistency', label: 'Tempo consistency', unit: '' },
  { id: 'medianBpm', label: 'Median local tempo', unit: 'BPM' },
];

/** One input set and everything measured on it. */
export interface SetReport {
  role: SetRole;
  /** The path as given. */
  path: string;
  source: SourceKind;
  pieces: PieceReport[];
  /** Summaries of the music measures (pieces with a MIDI file). */
  summary?: SetSummary;
  /** Summaries of the audio measures (pieces with a WAV file). */
  audioSummary?: Partial<Record<AudioMeasureId, Summary>>;
  /** Summary of the copied-span length in events. */
  copiedSummary?: Summary;
  /** The comparison with the reference set, measure by measure (absent for the reference itself). */
  comparison?: MeasureComparison[];
}

/** Held-out likelihood of a model. */
export interface LikelihoodReport {
  /** The model folder. */
  modelPath: string;
  /** The preprocessed data whose validation pieces were scored. */
  dataPath: string;
  /** Validation pieces scored. */
  pieces: number;
  /** The model's next-token likelihood. */
  model: Likelihood;
  /** The unigram baseline (training-split frequencies, add-one smoothed) on the same targets. */
  unigram: Likelihood;
  /** True when targets were capped, so only the first ones of each piece were scored. */
  capped: boolean;
}

/** The whole report. */
export interface EvaluationReport {
  format: typeof REPORT_FORMAT;
  version: number;
  /** When it was made (ISO 8601). */
  createdAt: string;
  /** Every measure's label, unit and description, so readers need no other file. */
  measures: { scalars: readonly MeasureInfo<ScalarMeasureId>[]; vectors: readonly VectorMeasureInfo[] };
  /** The reference set first, then generated, refined and audio, as given. */
  sets: SetReport[];
  likelihood?: LikelihoodReport;
  /** Things a reader should know (unreadable files, skipped measures), one sentence each. */
  warnings: string[];
  /** Wall-clock seconds of the whole evaluation. */
  totalSeconds: number;
}

/**
 * The evaluation report: what `cadenza evaluate` writes as report.json, what report.html is
 * drawn from, and what the app reads. Plain data; NaN and ±Infinity become null in JSON.
 */
import type { AudioMeasures } from './audio';
import type { MeasureComparison, SetSummary } from './compare';
import type { Summary } from './distributions';
import type { MeasureInfo, PieceMeasures, ScalarMeasureId, VectorMeasureInfo } from './measures';

/** The report format's name. */
export const REPORT_FORMAT = 'cadenza-evaluation';
/** Bumped when a reader of the old layout would misread the new one. */
export const REPORT_VERSION = 2;

/** Which input a set came from. */
export type SetRole = 'reference' | 'generated' | 'refined' | 'audio';

/** How a set's path was read. */
/** Where a set came from; `profile`: a reference profile's statistics (no music, so no copying check). */
export type SourceKind = 'midi-folder' | 'corpus' | 'processed-data' | 'file' | 'profile';

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

/**
 * Held-out likelihood of a model on the reference pieces it was not trained on, beside two
 * baselines trained on its training pieces, all on the same targets, in nats per token.
 */
export interface LikelihoodReport {
  /** The model folder. */
  modelPath: string;
  /** Its config.json format (e.g. 'cadenza-lstm'). */
  format: string;
  /** Its tokenizer kind: the tokens are the model's own. */
  tokenizer: string;
  /** The model's mean −ln p(next token). */
  modelNll: number;
  /** The same model without its piece memory (a composer that has one; `modelNll` is with it, as it generates). */
  modelWithoutMemoryNll?: number;
  /** The interpolated modified Kneser-Ney n-gram's, trained on the training pieces. */
  ngramNll: number;
  /** N of that n-gram. */
  ngramOrder: number;
  /** The add-one unigram's, trained on the training pieces. */
  unigramNll: number;
  /** Targets scored (tokens of held-out pieces after the model's context). */
  targets: number;
  /** Tokens of the scored pieces that had no id and no substitute in the model's vocabulary. */
  unknownTokens: number;
  /** Held-out pieces scored. */
  pieces: number;
  /** Pieces the baselines were trained on. */
  trainingPieces: number;
  /** Tokens they were trained on. */
  trainingTokens: number;
  /** Where the training pieces came from: the model's config.json, or `--ngram-train`. */
  trainingSource: 'trainingPieces' | '--ngram-train' | '--train-list' | 'preprocess split';
  /** Ids of each piece before this position are context only (the model's window), for all three. */
  firstTarget: number;
  /** True when `--max-targets` cut each piece's targets to the same share, from its start. */
  capped: boolean;
  /** Files that could not be read or tokenized, one sentence each. */
  warnings: string[];
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
  /** What the figures say, in sentences a musician reads (closeness to the reference, the model against the n-gram). */
  verdict?: string[];
  /** Things a reader should know (unreadable files, skipped measures), one sentence each. */
  warnings: string[];
  /** Wall-clock seconds of the whole evaluation. */
  totalSeconds: number;
}

/**
 * The catalogue of per-piece music measures and `measureSong`, which computes them all. The
 * report, its HTML and docs/METRICS.md follow this list; ids are stable keys in report.json.
 */
import type { Song } from '../song/song';
import {
  bothHandsShare,
  gridGapShare,
  longestInternalRepeat,
  onBeatShare,
  pitchesPerMinute,
  windowScaleConsistency,
} from './features';
import { durationSeconds } from '../song/tempo';
import {
  averagePitchInterval,
  pitchClassEntropy,
  pitchClassHistogram,
  pitchClassTransitionMatrix,
  pitchCount,
  pitchEntropy,
  pitchRange,
  scaleConsistency,
} from './pitch';
import { chordEvents, distinctNgramRatio, EventDictionary, longestRepeatedRun } from './repetition';
import {
  averageInterOnsetSeconds,
  emptyBeatRate,
  grooveConsistency,
  NOTE_LENGTH_CLASSES,
  noteLengthHistogram,
  polyphony,
} from './rhythm';
import { finalTempoRatio, tempoMapVariationPercent, topNoteLoudestShare, velocityDrift } from './expression';
import { ENVELOPE_RATE_HZ, onsetEnvelopeFromSong, tempoConsistency } from './tempo';

/** Ids of the scalar measures of one piece. */
export type ScalarMeasureId =
  | 'noteCount'
  | 'durationSeconds'
  | 'pitchCount'
  | 'pitchRange'
  | 'averagePitchInterval'
  | 'averageInterOnsetSeconds'
  | 'polyphony'
  | 'pitchEntropy'
  | 'pitchClassEntropy'
  | 'scaleConsistency'
  | 'grooveConsistency'
  | 'emptyBeatRate'
  | 'tempoConsistency'
  | 'tempoVariationPercent'
  | 'medianBpm'
  | 'longestRepeatedRun'
  | 'distinct2'
  | 'distinct4'
  | 'distinct8'
  | 'onBeatShare'
  | 'bothHandsShare'
  | 'longestInternalRepeat'
  | 'windowScaleConsistency'
  | 'pitchesPerMinute'
  | 'gridGapShare'
  | 'velocityDrift'
  | 'topNoteLoudestShare'
  | 'tempoMapVariationPercent'
  | 'finalTempoRatio';

/** Ids of the histogram (vector) measures of one piece. */
export type VectorMeasureId = 'pitchClassHistogram' | 'pitchClassTransitions' | 'noteLengthHistogram';

/** How a measure is described to readers. */
export interface MeasureInfo<Id extends string = string> {
  id: Id;
  /** Short name for tables and plot titles. */
  label: string;
  /** Unit, '' for a plain number or ratio. */
  unit: string;
  /** Which group of the report it belongs to. */
  group: 'pitch' | 'rhythm' | 'tempo' | 'repetition' | 'expression' | 'size';
  /** Whether it takes part in the set comparison (intra/inter-set distances); size measures do not. */
  compare: boolean;
  /** One sentence: what it measures. */
  description: string;
}

/** A histogram measure: its length and the label of each bin. */
export interface VectorMeasureInfo extends MeasureInfo<VectorMeasureId> {
  /** Bin labels in order (for the transition matrix, the 12 pitch classes of rows and columns). */
  bins: string[];
}

/** Pitch-class names, C = 0. */
export const PITCH_CLASS_NAMES = ['C', 'C♯', 'D', 'E♭', 'E', 'F', 'F♯', 'G', 'A♭', 'A', 'B♭', 'B'];

/** Every scalar measure, in report order. */
export const SCALAR_MEASURES: readonly MeasureInfo<ScalarMeasureId>[] = [
  {
    id: 'noteCount',
    label: 'Notes',
    unit: 'notes',
    group: 'size',
    compare: false,
    description: 'Number of notes.',
  },
  {
    id: 'durationSeconds',
    label: 'Duration',
    unit: 's',
    group: 'size',
    compare: false,
    description: 'Time to the last note release.',
  },
  {
    id: 'pitchCount',
    label: 'Pitch count',
    unit: 'pitches',
    group: 'pitch',
    compare: true,
    description: 'Distinct MIDI pitches used.',
  },
  {
    id: 'pitchRange',
    label: 'Pitch range',
    unit: 'semitones',
    group: 'pitch',
    compare: true,
    description: 'Highest minus lowest pitch.',
  },
  {
    id: 'averagePitchInterval',
    label: 'Avg. pitch interval',
    unit: 'semitones',
    group: 'pitch',
    compare: true,
    description: 'Mean absolute interval between consecutive notes.',
  },
  {
    id: 'pitchEntropy',
    label: 'Pitch entropy',
    unit: 'bits',
    group: 'pitch',
    compare: true,
    description: 'Shannon entropy of the 128-pitch histogram.',
  },
  {
    id: 'pitchClassEntropy',
    label: 'Pitch-class entropy',
    unit: 'bits',
    group: 'pitch',
    compare: true,
    description: 'Shannon entropy of the 12-class histogram.',
  },
  {
    id: 'scaleConsistency',
    label: 'Scale consistency',
    unit: '',
    group: 'pitch',
    compare: true,
    description: 'Largest fraction of notes in one major or minor scale.',
  },
  {
    id: 'windowScaleConsistency',
    label: 'Scale consistency (10 s)',
    unit: '',
    group: 'pitch',
    compare: true,
    description: 'Mean over 10-s windows of the largest fraction of notes in one major or minor scale.',
  },
  {
    id: 'pitchesPerMinute',
    label: 'Distinct pitches per minute',
    unit: 'pitches/min',
    group: 'pitch',
    compare: true,
    description: 'Distinct MIDI pitches divided by the duration in minutes.',
  },
  {
    id: 'bothHandsShare',
    label: 'Both hands',
    unit: '',
    group: 'pitch',
    compare: true,
    description: 'Fraction of sounding time with a note below middle C and one at or above it at once.',
  },
  {
    id: 'polyphony',
    label: 'Polyphony',
    unit: 'notes',
    group: 'pitch',
    compare: true,
    description: 'Mean notes sounding at once while any sounds.',
  },
  {
    id: 'averageInterOnsetSeconds',
    label: 'Avg. inter-onset interval',
    unit: 's',
    group: 'rhythm',
    compare: true,
    description: 'Mean time between consecutive distinct onsets.',
  },
  {
    id: 'onBeatShare',
    label: 'Onsets on the beat',
    unit: '',
    group: 'rhythm',
    compare: true,
    description: 'Fraction of onsets within a 64th note of a written beat.',
  },
  {
    id: 'gridGapShare',
    label: 'Gaps on the grid',
    unit: '',
    group: 'rhythm',
    compare: true,
    description: 'Fraction of gaps between onsets that are whole 16ths or 16th triplets.',
  },
  {
    id: 'grooveConsistency',
    label: 'Groove consistency',
    unit: '',
    group: 'rhythm',
    compare: true,
    description: '1 − mean Hamming distance of neighbouring bars’ onset patterns.',
  },
  {
    id: 'emptyBeatRate',
    label: 'Empty-beat rate',
    unit: '',
    group: 'rhythm',
    compare: true,
    description: 'Fraction of quarter-note beats in which nothing sounds.',
  },
  {
    id: 'tempoConsistency',
    label: 'Tempo consistency',
    unit: '',
    group: 'tempo',
    compare: true,
    description: 'Fraction of 8 s windows whose tempo is within 5% of the median (octave-folded).',
  },
  {
    id: 'tempoVariationPercent',
    label: 'Tempo variation',
    unit: '%',
    group: 'tempo',
    compare: true,
    description: 'Spread of the local tempi around their median.',
  },
  {
    id: 'medianBpm',
    label: 'Median local tempo',
    unit: 'BPM',
    group: 'tempo',
    compare: false,
    description: 'Median of the local tempo estimates.',
  },
  {
    id: 'longestRepeatedRun',
    label: 'Longest repeated run',
    unit: 'events',
    group: 'repetition',
    compare: true,
    description: 'Most times one note or chord is repeated back to back.',
  },
  {
    id: 'distinct2',
    label: 'Distinct 2-grams',
    unit: '',
    group: 'repetition',
    compare: true,
    description: 'Distinct event pairs / all event pairs.',
  },
  {
    id: 'distinct4',
    label: 'Distinct 4-grams',
    unit: '',
    group: 'repetition',
    compare: true,
    description: 'Distinct 4-event runs / all 4-event runs.',
  },
  {
    id: 'distinct8',
    label: 'Distinct 8-grams',
    unit: '',
    group: 'repetition',
    compare: true,
    description: 'Distinct 8-event runs / all 8-event runs.',
  },
  {
    id: 'longestInternalRepeat',
    label: 'Longest internal repeat',
    unit: 'events',
    group: 'repetition',
    compare: true,
    description:
      'Longest run of events that occurs twice in the piece without overlapping (a motif or a repeated phrase).',
  },
  {
    id: 'velocityDrift',
    label: 'Velocity drift',
    unit: '×',
    group: 'expression',
    compare: true,
    description: 'Mean velocity of the last third of the piece over that of the first third (1 = level).',
  },
  {
    id: 'topNoteLoudestShare',
    label: 'Top note loudest',
    unit: '',
    group: 'expression',
    compare: true,
    description: 'Share of chords whose highest note is at least as loud as the others.',
  },
  {
    id: 'tempoMapVariationPercent',
    label: 'Tempo-map variation',
    unit: '%',
    group: 'expression',
    compare: true,
    description: 'Coefficient of variation of the tempo map over the beats of the piece (0 = one fixed tempo).',
  },
  {
    id: 'finalTempoRatio',
    label: 'Final tempo',
    unit: '×',
    group: 'expression',
    compare: true,
    description: 'Tempo over the last bar over the median tempo (below 1 = a ritardando at the close).',
  },
];

/** Every histogram measure, in report order. */
export const VECTOR_MEASURES: readonly VectorMeasureInfo[] = [
  {
    id: 'pitchClassHistogram',
    label: 'Pitch-class histogram',
    unit: '',
    group: 'pitch',
    compare: true,
    description: 'Share of notes in each pitch class.',
    bins: PITCH_CLASS_NAMES,
  },
  {
    id: 'pitchClassTransitions',
    label: 'Pitch-class transitions',
    unit: '',
    group: 'pitch',
    compare: true,
    description: 'Share of consecutive note pairs going from one pitch class (row) to another (column).',
    bins: PITCH_CLASS_NAMES,
  },
  {
    id: 'noteLengthHistogram',
    label: 'Note-length histogram',
    unit: '',
    group: 'rhythm',
    compare: true,
    description: 'Share of notes in each of 12 note-length classes.',
    bins: NOTE_LENGTH_CLASSES.map((c) => c.label),
  },
];

/** All measures of one piece. NaN marks a measure the piece is too short or empty for. */
export interface PieceMeasures {
  scalars: Record<ScalarMeasureId, number>;
  vectors: Record<VectorMeasureId, number[]>;
}

/** Computes every measure of `song` (read without sustain, so note lengths are key presses). */
export function measureSong(song: Song): PieceMeasures {
  const notes = song.notes;
  const events = new EventDictionary().encode(chordEvents(song));
  const tempo = tempoConsistency(onsetEnvelopeFromSong(song), ENVELOPE_RATE_HZ);
  return {
    scalars: {
      noteCount: notes.length,
      durationSeconds: durationSeconds(song),
      pitchCount: pitchCount(notes),
      pitchRange: pitchRange(notes),
      averagePitchInterval: averagePitchInterval(notes),
      averageInterOnsetSeconds: averageInterOnsetSeconds(song),
      polyphony: polyphony(notes),
      pitchEntropy: pitchEntropy(notes),
      pitchClassEntropy: pitchClassEntropy(notes),
      scaleConsistency: scaleConsistency(notes),
      grooveConsistency: grooveConsistency(song),
      emptyBeatRate: emptyBeatRate(song),
      tempoConsistency: tempo.consistency,
      tempoVariationPercent: tempo.variationPercent,
      medianBpm: tempo.medianBpm,
      longestRepeatedRun: longestRepeatedRun(events),
      distinct2: distinctNgramRatio(events, 2),
      distinct4: distinctNgramRatio(events, 4),
      distinct8: distinctNgramRatio(events, 8),
      onBeatShare: onBeatShare(song),
      bothHandsShare: bothHandsShare(notes),
      longestInternalRepeat: longestInternalRepeat(events),
      windowScaleConsistency: windowScaleConsistency(song),
      pitchesPerMinute: pitchesPerMinute(song),
      gridGapShare: gridGapShare(song),
      velocityDrift: velocityDrift(song),
      topNoteLoudestShare: topNoteLoudestShare(song),
      tempoMapVariationPercent: tempoMapVariationPercent(song),
      finalTempoRatio: finalTempoRatio(song),
    },
    vectors: {
      pitchClassHistogram: pitchClassHistogram(notes),
      pitchClassTransitions: pitchClassTransitionMatrix(notes),
      noteLengthHistogram: noteLengthHistogram(song),
    },
  };
}

/**
 * Compares a set of pieces with a reference set, measure by measure (Yang & Lerch 2018): the
 * distribution of each measure in both sets, the intra-set distances of each, the inter-set
 * distances, their kernel density estimates, and the overlap area and KL divergence between the
 * reference's intra-set density and the inter-set density.
 */
import type { Density, Summary } from './distributions';
import {
  gridOver,
  interSetDistances,
  intraSetDistances,
  kernelDensity,
  klDivergence,
  overlapArea,
  summarize,
} from './distributions';
import type { PieceMeasures, ScalarMeasureId, VectorMeasureId } from './measures';
import { SCALAR_MEASURES, VECTOR_MEASURES } from './measures';

/** One measure compared between the reference and another set. */
export interface MeasureComparison {
  /** The measure's id (scalar or vector). */
  id: ScalarMeasureId | VectorMeasureId;
  /** Density of distances between reference pieces. */
  intraReference: Density;
  /** Density of distances between pieces of the compared set. */
  intraSet: Density;
  /** Density of distances from each compared piece to each reference piece. */
  inter: Density;
  /** ∫ min(intraReference, inter): 1 when the set is as close to the reference as the reference is to itself. */
  overlapArea: number;
  /** KL(intraReference ‖ inter) in nats: 0 when the two distance distributions agree. */
  klDivergence: number;
}

/** Per-measure summaries of a set: scalar summaries and the mean of each histogram. */
export interface SetSummary {
  /** Pieces with measures. */
  pieces: number;
  scalars: Record<ScalarMeasureId, Summary>;
  /** Mean histogram over the set's pieces (e.g. the mean pitch-class histogram). */
  meanVectors: Record<VectorMeasureId, number[]>;
}

/** How many points each density in the report is sampled at. */
export const DENSITY_POINTS = 128;

/** Scalar summaries and mean histograms of a set of measured pieces. */
export function summarizeSet(pieces: readonly PieceMeasures[]): SetSummary {
  const scalars = {} as Record<ScalarMeasureId, Summary>;
  for (const m of SCALAR_MEASURES) scalars[m.id] = summarize(pieces.map((p) => p.scalars[m.id]));
  const meanVectors = {} as Record<VectorMeasureId, number[]>;
  for (const m of VECTOR_MEASURES) {
    const withNotes = pieces.filter((p) => p.scalars.noteCount > 0);
    const length =
      withNotes[0]?.vectors[m.id].length ?? (m.id === 'pitchClassTransitions' ? 144 : m.bins.length);
    const mean = new Array<number>(length).fill(0);
    for (const p of withNotes) p.vectors[m.id].forEach((v, i) => (mean[i]! += v / withNotes.length));
    meanVectors[m.id] = mean;
  }
  return { pieces: pieces.length, scalars, meanVectors };
}

/** The feature vector of one measure for one piece (a scalar becomes a one-element vector). */
function featureOf(p: PieceMeasures, id: ScalarMeasureId | VectorMeasureId): number[] {
  return id in p.scalars ? [p.scalars[id as ScalarMeasureId]] : p.vectors[id as VectorMeasureId];
}

/** Compares `set` with `reference` on every measure marked for comparison, or on `only` those ids. */
export function compareSets(
  reference: readonly PieceMeasures[],
  set: readonly PieceMeasures[],
  only?: readonly (ScalarMeasureId | VectorMeasureId)[],
): MeasureComparison[] {
  const ids = only ?? [...SCALAR_MEASURES, ...VECTOR_MEASURES].filter((m) => m.compare).map((m) => m.id);
  // Pieces without notes have no histograms to compare (all zeros would look like a real piece).
  const ref = reference.filter((p) => p.scalars.noteCount > 0);
  const gen = set.filter((p) => p.scalars.noteCount > 0);
  return ids.map((id) => {
    const refVectors = ref.map((p) => featureOf(p, id));
    const genVectors = gen.map((p) => featureOf(p, id));
    const intraRef = intraSetDistances(refVectors);
    const intraGen = intraSetDistances(genVectors);
    const inter = interSetDistances(genVectors, refVectors);
    const x = gridOver([intraRef, intraGen, inter], DENSITY_POINTS);
    const intraReference = kernelDensity(intraRef, x);
    const interDensity = kernelDensity(inter, x);
    return {
      id,
      intraReference,
      intraSet: kernelDensity(intraGen, x),
      inter: interDensity,
      overlapArea: intraRef.length && inter.length ? overlapArea(intraReference, interDensity) : NaN,
      klDivergence: intraRef.length && inter.length ? klDivergence(intraReference, interDensity) : NaN,
    };
  });
}

/**
 * The features of issue 13, by measure id: metre, hands, motifs, key, leaps, spread, texture and
 * rhythm grid. `averagePitchInterval` is the mean leap between successive notes in onset order (all
 * notes, chords included, as mgeval's PI), not the top voice.
 */
export const COMPOSER_FEATURES: readonly ScalarMeasureId[] = [
  'onBeatShare',
  'bothHandsShare',
  'distinct4',
  'longestInternalRepeat',
  'windowScaleConsistency',
  'averagePitchInterval',
  'pitchRange',
  'pitchesPerMinute',
  'polyphony',
  'gridGapShare',
];

/** Per-feature overlap areas and their mean and minimum. */
export interface OverlapSummary {
  /** Overlap area (0..1) of each compared feature, by id. */
  perFeature: Record<string, number>;
  /** Mean over the features with a finite overlap. */
  mean: number;
  /** Smallest of them. */
  min: number;
  /** The feature with the smallest overlap. */
  minFeature: string;
}

/** Reduces `compareSets` output to `ids` (default `COMPOSER_FEATURES`): each overlap, their mean and minimum. */
export function overlapSummary(
  comparison: readonly MeasureComparison[],
  ids: readonly string[] = COMPOSER_FEATURES,
): OverlapSummary {
  const perFeature: Record<string, number> = {};
  let sum = 0;
  let count = 0;
  let min = NaN;
  let minFeature = '';
  for (const id of ids) {
    const c = comparison.find((x) => x.id === id);
    const oa = c ? c.overlapArea : NaN;
    perFeature[id] = oa;
    if (!Number.isFinite(oa)) continue;
    sum += oa;
    count++;
    if (!(oa >= min)) {
      min = oa;
      minFeature = id;
    }
  }
  return { perFeature, mean: count ? sum / count : NaN, min, minFeature };
}

/**
 * A reference profile: the statistics `evaluate` compares against (each reference piece's music
 * measures, and how much the reference pieces copy one another), without the music itself. The
 * bundled model ships its training corpus's profile, so `cadenza demo` evaluates on a clone that
 * has no corpus beside it. A profile cannot check copying (that needs the notes).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../../common/errors';
import { SCALAR_MEASURES, VECTOR_MEASURES, type PieceMeasures } from '../../common/evaluate/measures';
import type { EvaluationReport } from '../../common/evaluate/report';
import type { Summary } from '../../common/evaluate/distributions';
import { readJson, writeFileAtomic } from '../fs/atomic';
import { resourcesDir } from '../paths';

/** The format tag of a profile file. */
export const PROFILE_FORMAT = 'cadenza-reference-profile';
/** The profile's file name beside a model. */
export const PROFILE_FILE = 'reference-profile.json';

/** A reference set reduced to its statistics. */
export interface ReferenceProfile {
  format: typeof PROFILE_FORMAT;
  version: 1;
  /** What it was measured from, in words (e.g. "piano-midi.de, 291 pieces"). */
  description: string;
  createdAt: string;
  /** Each reference piece: its name and music measures. */
  pieces: Array<{ name: string; measures: PieceMeasures }>;
  /** Longest span each reference piece shares verbatim with another, in events, summarised. */
  copiedSummary?: Summary;
}

/** The profile shipped beside the bundled model (absent in a checkout without it). */
export function bundledProfilePath(): string {
  return path.join(resourcesDir(), 'models', 'composer', PROFILE_FILE);
}

/** The bundled profile's path when this build ships one. */
export function availableBundledProfile(): string | undefined {
  const file = bundledProfilePath();
  return existsSync(file) ? file : undefined;
}

/** True when `file` names a profile by its name (the contents are checked when read). */
export function isProfilePath(file: string): boolean {
  return /\.json$/i.test(file) && existsSync(file);
}

/** Reads and checks a profile; throws `DataError` naming the file and what is wrong. */
export async function readReferenceProfile(file: string): Promise<ReferenceProfile> {
  const data = await readJson<Partial<ReferenceProfile>>(file);
  if (data.format !== PROFILE_FORMAT || data.version !== 1 || !Array.isArray(data.pieces))
    throw new DataError(
      `${file} is not a reference profile (its format is not ${PROFILE_FORMAT} version 1).`,
      { path: file, field: 'format' },
    );
  // JSON has no NaN: a measure a piece has no value for (a tempo with no beats) is written as null.
  const value = (v: unknown): number | undefined =>
    typeof v === 'number' ? v : v === null ? NaN : undefined;
  for (const [i, p] of data.pieces.entries()) {
    const scalars = p?.measures?.scalars as Record<string, unknown> | undefined;
    const vectors = p?.measures?.vectors as Record<string, unknown> | undefined;
    const ok =
      typeof p?.name === 'string' &&
      SCALAR_MEASURES.every((m) => value(scalars?.[m.id]) !== undefined) &&
      VECTOR_MEASURES.every(
        (m) =>
          Array.isArray(vectors?.[m.id]) && (vectors[m.id] as unknown[]).every((v) => value(v) !== undefined),
      );
    if (!ok)
      throw new DataError(`${file}: piece ${i + 1} lacks some of the measures this version compares.`, {
        path: file,
        field: `pieces.${i}`,
      });
    for (const m of SCALAR_MEASURES) scalars![m.id] = value(scalars![m.id]);
    for (const m of VECTOR_MEASURES) vectors![m.id] = (vectors![m.id] as unknown[]).map(value);
  }
  if (data.pieces.length === 0)
    throw new DataError(`${file} holds no pieces.`, { path: file, field: 'pieces' });
  return data as ReferenceProfile;
}

/** Rounds to 5 significant digits: the file stays small, and no comparison needs more. */
function compact(_key: string, value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
    ? Number(value.toPrecision(5))
    : value;
}

/** The profile of an evaluation's reference set (run `runEvaluation` with only a reference). */
export function profileOf(report: EvaluationReport, description: string): ReferenceProfile {
  const ref = report.sets.find((s) => s.role === 'reference');
  if (!ref) throw new DataError('The evaluation has no reference set to profile.', { field: 'reference' });
  return {
    format: PROFILE_FORMAT,
    version: 1,
    description,
    createdAt: new Date().toISOString(),
    pieces: ref.pieces.flatMap((p) => (p.measures ? [{ name: p.name, measures: p.measures }] : [])),
    ...(ref.copiedSummary ? { copiedSummary: ref.copiedSummary } : {}),
  };
}

/** Writes `profile` to `file` atomically. */
export async function writeReferenceProfile(file: string, profile: ReferenceProfile): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(profile, compact) + '\n');
}

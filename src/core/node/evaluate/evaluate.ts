/**
 * `cadenza evaluate`: loads the reference set and the sets to judge, measures every piece,
 * compares each set with the reference, checks for copying, measures audio and (with a model)
 * held-out likelihood, and writes report.json and a self-contained report.html.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AudioError, CadenzaError, DataError, throwIfCancelled } from '../../common/errors';
import { decodeWav } from '../../common/audio/wav';
import { measureAudio } from '../../common/evaluate/audio';
import { compareSets, summarizeSet } from '../../common/evaluate/compare';
import { summarize } from '../../common/evaluate/distributions';
import { measureSong, SCALAR_MEASURES, VECTOR_MEASURES } from '../../common/evaluate/measures';
import type { PieceMeasures } from '../../common/evaluate/measures';
import { chordEvents, EventDictionary, ReferenceIndex } from '../../common/evaluate/repetition';
import type {
  EvaluationReport,
  LikelihoodReport,
  PieceReport,
  SetReport,
  SetRole,
} from '../../common/evaluate/report';
import { AUDIO_MEASURES, REPORT_FORMAT, REPORT_VERSION } from '../../common/evaluate/report';
import { renderReportHtml } from '../../common/evaluate/reportHtml';
import { verdictSentences } from '../../common/evaluate/verdict';
import type { RunOptions } from '../../common/progress';
import type { Song } from '../../common/song/song';
import { ioError, writeFileAtomic } from '../fs/atomic';
import { readMidiFile } from '../midi/read';
import { scoreHeldOut } from './heldOut';
import type { ResolvedSource, PieceRef } from '../sources/resolve';
import { resolveSource, resolveSources } from '../sources/resolve';
import { readReferenceProfile, type ReferenceProfile } from './profile';

/** What to evaluate: paths as the user gave them. */
export interface EvaluateInputs {
  /** A MIDI folder, a corpus data folder, preprocessed data, or a reference profile (`.json`): what to compare against. */
  reference: string;
  /** Generated MIDI (and/or WAV) files: a folder, a file, or several of either. */
  generated?: string | readonly string[];
  /** Refined pieces: WAV and/or MIDI files (a folder, a file, or several). */
  refined?: string | readonly string[];
  /** Rendered audio (WAV files: a folder, a file, or several). */
  audio?: string | readonly string[];
  /** A model folder, for held-out likelihood on the reference pieces it was not trained on. */
  model?: string;
  /** MIDI folder of the model's training pieces, when its config.json lists none (`trainingPieces`). */
  ngramTrain?: string;
  /** N of the n-gram baseline (default 5). */
  ngramOrder?: number;
  /** Most likelihood targets scored (default 20,000). */
  maxLikelihoodTargets?: number;
}

interface LoadedPiece {
  source: PieceRef;
  song?: Song;
  report: PieceReport;
}

async function loadSet(
  role: SetRole,
  source: ResolvedSource,
  run: RunOptions,
): Promise<{ pieces: LoadedPiece[]; warnings: string[] }> {
  const warnings: string[] = [];
  const pieces: LoadedPiece[] = [];
  let done = 0;
  for (const s of source.pieces) {
    throwIfCancelled(run.signal);
    const report: PieceReport = { name: s.name };
    const piece: LoadedPiece = { source: s, report };
    const errors: string[] = [];
    if (s.midiPath) {
      report.midiPath = s.midiPath;
      try {
        // No sustain: note lengths are key presses, as in generated MIDI, which has no pedal.
        const song = (await readMidiFile(s.midiPath, { sustain: false })).song;
        // A piece with nothing to measure is reported like an unreadable one, not measured as silence.
        if (song.notes.length === 0) throw new DataError(`${s.midiPath} holds no notes.`, { path: s.midiPath });
        piece.song = song;
        report.measures = measureSong(song);
      } catch (error) {
        errors.push(
          error instanceof CadenzaError
            ? error.message
            : `${s.midiPath} could not be read: ${String(error)}.`,
        );
      }
    }
    if (s.audioPath) {
      report.audioPath = s.audioPath;
      try {
        let bytes: Uint8Array;
        try {
          bytes = await fs.readFile(s.audioPath);
        } catch (error) {
          throw ioError(error, s.audioPath, 'read');
        }
        const wav = decodeWav(bytes, s.audioPath);
        if (wav.channels.length === 0 || wav.lengthFrames === 0)
          throw new AudioError(`${s.audioPath} holds no audio.`, { path: s.audioPath });
        report.audio = measureAudio(wav, wav.bitsPerSample);
      } catch (error) {
        errors.push(
          error instanceof CadenzaError
            ? error.message
            : `${s.audioPath} could not be measured: ${String(error)}.`,
        );
      }
    }
    if (errors.length) {
      report.error = errors.join(' ');
      warnings.push(`${role}: ${report.error}`);
    }
    pieces.push(piece);
    run.onProgress?.({
      stage: `measure ${role}`,
      done: ++done,
      total: source.pieces.length,
      message: s.name,
    });
  }
  return { pieces, warnings };
}

function setReport(role: SetRole, source: ResolvedSource, pieces: LoadedPiece[]): SetReport {
  const measured = pieces.map((p) => p.report.measures).filter((m): m is PieceMeasures => m !== undefined);
  const set: SetReport = {
    role,
    path: source.path,
    source: source.kind,
    pieces: pieces.map((p) => p.report),
  };
  if (measured.length) set.summary = summarizeSet(measured);
  const withAudio = pieces.map((p) => p.report.audio).filter((a) => a !== undefined);
  if (withAudio.length) {
    set.audioSummary = {};
    for (const m of AUDIO_MEASURES) set.audioSummary[m.id] = summarize(withAudio.map((a) => a[m.id]));
  }
  return set;
}

/** Finds, for each piece of `pieces`, the longest span copied from the reference (the same file excluded). */
function checkCopying(
  pieces: LoadedPiece[],
  index: ReferenceIndex,
  dict: EventDictionary,
  indexed: LoadedPiece[],
): void {
  const byPath = new Map<string, number>();
  indexed.forEach((p, i) => p.source.midiPath && byPath.set(path.resolve(p.source.midiPath), i));
  for (const p of pieces) {
    if (!p.song) continue;
    const events = dict.encode(chordEvents(p.song));
    const self = p.source.midiPath ? (byPath.get(path.resolve(p.source.midiPath)) ?? -1) : -1;
    const span = index.longestCopiedSpan(events, self);
    p.report.copied = {
      events: span.length,
      share: events.length ? span.length / events.length : 0,
      offset: span.queryOffset,
      ...(span.referencePiece >= 0 ? { referenceName: indexed[span.referencePiece]!.source.name } : {}),
    };
  }
}

/**
 * Throws `DataError` when the set the user named with `flag` has no piece that could be read:
 * a report that measures nothing for a requested set would look like a result and is not one.
 */
function requireReadable(flag: string, setPath: string, pieces: LoadedPiece[]): void {
  if (pieces.some((p) => p.song || p.report.audio)) return;
  const first = pieces.find((p) => p.report.error)?.report.error ?? 'no reason given.';
  const count = pieces.length === 1 ? 'its only file' : `all ${pieces.length} of its files`;
  throw new DataError(
    `${flag} names ${setPath}, but ${count} could not be read (first: ${first.replace(/\.$/, '')}).`,
    { field: flag, path: setPath },
  );
}

/** The reference set of a report, from a profile: its pieces' measures and copying figures as measured when it was made. */
function profileSet(source: ResolvedSource, profile: ReferenceProfile): SetReport {
  return {
    role: 'reference',
    path: source.path,
    source: 'profile',
    pieces: profile.pieces.map((p) => ({ name: p.name, measures: p.measures })),
    summary: summarizeSet(profile.pieces.map((p) => p.measures)),
    ...(profile.copiedSummary ? { copiedSummary: profile.copiedSummary } : {}),
  };
}

/** Runs the whole evaluation and returns the report (nothing is written). */
export async function runEvaluation(inputs: EvaluateInputs, run: RunOptions = {}): Promise<EvaluationReport> {
  const started = Date.now();
  const warnings: string[] = [];
  // A profile holds the reference's statistics, not its music: everything but copying and likelihood can be compared.
  const profile = /\.json$/i.test(inputs.reference) ? await readReferenceProfile(inputs.reference) : undefined;
  if (profile && inputs.model !== undefined)
    throw new DataError(`Held-out likelihood needs the reference pieces themselves; ${inputs.reference} is a profile of their statistics: pass the MIDI folder with --reference.`, {
      field: '--reference',
      path: inputs.reference,
    });
  const refSource: ResolvedSource = profile ? { path: inputs.reference, kind: 'profile', pieces: [] } : await resolveSource(inputs.reference, '--reference');
  const others: [SetRole, string | readonly string[] | undefined, string][] = [
    ['generated', inputs.generated, '--generated'],
    ['refined', inputs.refined, '--refined'],
    ['audio', inputs.audio, '--audio'],
  ];
  const otherSources: [SetRole, ResolvedSource, string][] = [];
  for (const [role, p, flag] of others)
    if (p !== undefined) otherSources.push([role, await resolveSources(typeof p === 'string' ? [p] : p, flag), flag]);

  // Likelihood first: a model or data problem then fails before minutes of measuring.
  let likelihood: LikelihoodReport | undefined;
  if (inputs.model !== undefined) {
    likelihood = await scoreHeldOut(inputs.model, {
      ...run,
      reference: inputs.reference,
      ngramTrain: inputs.ngramTrain,
      ngramOrder: inputs.ngramOrder,
      maxTargets: inputs.maxLikelihoodTargets ?? 20000,
    });
    warnings.push(...likelihood.warnings);
  }

  const ref = profile ? { pieces: [] as LoadedPiece[], warnings: [] } : await loadSet('reference', refSource, run);
  warnings.push(...ref.warnings);
  if (!profile) requireReadable('--reference', inputs.reference, ref.pieces);
  if (profile) warnings.push(`Copying was not checked: the reference is a profile (${profile.description}), which holds statistics, not the music.`);

  // Copying is checked against the pieces a model could have learnt from: the training split when known.
  const indexed = ref.pieces.filter((p) => p.song && p.source.split !== 'valid');
  const dict = new EventDictionary();
  const index = new ReferenceIndex(indexed.map((p) => dict.encode(chordEvents(p.song!))));

  const sets: SetReport[] = [];
  let refReport: SetReport;
  if (profile) refReport = profileSet(refSource, profile);
  else {
    run.onProgress?.({ stage: 'check copying', done: 0, message: 'reference pieces against each other' });
    checkCopying(ref.pieces, index, dict, indexed);
    throwIfCancelled(run.signal);
    refReport = setReport('reference', refSource, ref.pieces);
    refReport.copiedSummary = summarize(
      ref.pieces.flatMap((p) => (p.report.copied ? [p.report.copied.events] : [])),
    );
  }
  sets.push(refReport);
  const refMeasures = profile
    ? profile.pieces.map((p) => p.measures)
    : ref.pieces.map((p) => p.report.measures).filter((m): m is PieceMeasures => m !== undefined);

  for (const [role, source, flag] of otherSources) {
    const loaded = await loadSet(role, source, run);
    warnings.push(...loaded.warnings);
    requireReadable(flag, source.path, loaded.pieces);
    if (!profile) checkCopying(loaded.pieces, index, dict, indexed);
    const report = setReport(role, source, loaded.pieces);
    const measured = loaded.pieces
      .map((p) => p.report.measures)
      .filter((m): m is PieceMeasures => m !== undefined);
    if (measured.length) {
      run.onProgress?.({ stage: `compare ${role}`, done: 0, message: 'intra- and inter-set distances' });
      report.comparison = compareSets(refMeasures, measured);
      if (!profile)
        report.copiedSummary = summarize(
          loaded.pieces.flatMap((p) => (p.report.copied ? [p.report.copied.events] : [])),
        );
      if (measured.length < 2)
        warnings.push(`${role}: one piece gives no intra-set distances, so its own density is empty.`);
    }
    sets.push(report);
  }

  const report: EvaluationReport = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    createdAt: new Date().toISOString(),
    measures: { scalars: SCALAR_MEASURES, vectors: VECTOR_MEASURES },
    sets,
    warnings,
    totalSeconds: 0,
  };
  if (likelihood) report.likelihood = likelihood;
  report.verdict = verdictSentences(report);

  report.totalSeconds = (Date.now() - started) / 1000;
  return report;
}

/** Rounds numbers to 6 significant digits, so report.json stays small and diffs stay readable. */
function compactNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
    ? Number(value.toPrecision(6))
    : value;
}

/** Writes report.json and report.html into `outputDir` (created if needed), each atomically. */
export async function writeEvaluationReport(
  outputDir: string,
  report: EvaluationReport,
): Promise<{ jsonPath: string; htmlPath: string }> {
  const jsonPath = path.join(outputDir, 'report.json');
  const htmlPath = path.join(outputDir, 'report.html');
  await writeFileAtomic(jsonPath, JSON.stringify(report, compactNumbers, 1) + '\n');
  await writeFileAtomic(htmlPath, renderReportHtml(report));
  return { jsonPath, htmlPath };
}

/**
 * The data that crosses between the UI and the backend, as zod schemas. Each schema is the
 * runtime check and, through `z.infer`, the TypeScript type: the two cannot drift apart.
 * Pure TypeScript (zod only): main, preload, server and renderer all import it.
 */
import { z } from 'zod';
import { ENGINE_CHOICES, SAMPLE_RATES_HZ } from '../core/common/render/settings';

/** A file path on the backend's machine, as text (never empty, no NUL bytes). */
export const pathSchema = z
  .string()
  .min(1, 'A path must not be empty.')
  .max(4096, 'A path must be at most 4096 characters.')
  .refine((p) => !p.includes('\0'), 'A path must not contain NUL bytes.');

/** A stored id (piece, model, run, job): letters, digits, `-`, `_` and `.`, never `..` or a slash. */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'An id holds only letters, digits, "-", "_" and "." and starts with a letter or digit.');

/** An ISO-8601 timestamp, e.g. `2026-11-26T09:30:00.000Z`. */
export const isoTimeSchema = z.string().min(1);

// ---------------------------------------------------------------------------------------------
// Song (mirrors src/core/common/song/song.ts; contract.test.ts checks that both types agree)

/** A sounding note, in ticks. */
export const noteSchema = z.object({
  pitch: z.number().int().min(0).max(127),
  velocity: z.number().int().min(0).max(127),
  startTicks: z.number().min(0),
  endTicks: z.number().min(0),
  track: z.number().int().min(0),
  channel: z.number().int().min(0).max(15),
});

/** A whole song: notes, tempo map, signatures, pedals and tracks. */
export const songSchema = z.object({
  ppq: z.number().int().positive(),
  notes: z.array(noteSchema),
  tempos: z.array(z.object({ ticks: z.number().min(0), bpm: z.number().positive() })),
  timeSignatures: z.array(
    z.object({ ticks: z.number().min(0), numerator: z.number().int().positive(), denominator: z.number().int().positive() }),
  ),
  keySignatures: z.array(z.object({ ticks: z.number().min(0), key: z.string(), scale: z.enum(['major', 'minor']) })),
  pedals: z.array(
    z.object({ ticks: z.number().min(0), track: z.number().int().min(0), channel: z.number().int().min(0).max(15), down: z.boolean() }),
  ),
  tracks: z.array(
    z.object({ name: z.string(), program: z.number().int().min(0).max(127), channel: z.number().int().min(0).max(15), isDrum: z.boolean() }),
  ),
  name: z.string().optional(),
});

// ---------------------------------------------------------------------------------------------
// Errors and progress

/** A typed error as it crosses the boundary (see `serializeError` in core/common/errors.ts). */
export const serializedErrorSchema = z.object({
  name: z.string(),
  code: z.enum(['USAGE', 'MIDI_PARSE', 'CORPUS', 'TOKENIZE', 'DATA', 'MODEL', 'RENDER', 'SOUNDFONT', 'AUDIO', 'IO', 'CANCELLED', 'JOB', 'API', 'INTERNAL']),
  message: z.string(),
  path: z.string().optional(),
  field: z.string().optional(),
  detail: z.unknown().optional(),
});

/** One progress report (core/common/progress.ts `ProgressEvent`). */
export const progressSchema = z.object({
  stage: z.string(),
  done: z.number(),
  total: z.number().optional(),
  message: z.string().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  /** Seconds until the run ends (core/common/eta.ts), when known. */
  remainingSeconds: z.number().min(0).optional(),
});

// ---------------------------------------------------------------------------------------------
// Corpus

/** One piece in the corpus, without its notes. */
export const pieceSummarySchema = z.object({
  /** Content hash of the MIDI bytes: the same file imported twice is one piece. */
  id: idSchema,
  title: z.string(),
  composer: z.string().optional(),
  /** The file it was imported from (for the user's reference; the store keeps its own copy). */
  sourcePath: z.string().optional(),
  durationSeconds: z.number().min(0),
  noteCount: z.number().int().min(0),
  /** When it was imported. */
  importedAt: isoTimeSchema.optional(),
});
/** A piece with its notes, for the piano roll. */
export const pieceSchema = z.object({ piece: pieceSummarySchema, song: songSchema });
/** A page of pieces. */
export const piecePageSchema = z.object({ pieces: z.array(pieceSummarySchema), total: z.number().int().min(0) });

// ---------------------------------------------------------------------------------------------
// Models and training runs

/** A trained model the generator can use. */
export const modelInfoSchema = z.object({
  id: idSchema,
  name: z.string(),
  /** `lstm` (notes BiLSTM) or `transformer` (Music Transformer refiner). */
  kind: z.enum(['lstm', 'transformer']),
  tokenizer: z.string().optional(),
  vocabSize: z.number().int().min(0).optional(),
  createdAt: isoTimeSchema.optional(),
  /** True for the model `generate` uses when none is named. */
  isDefault: z.boolean(),
  /** True for a model shipped with the app (it cannot be deleted). */
  bundled: z.boolean(),
  /** Final validation loss, when training recorded one. */
  validationLoss: z.number().optional(),
});

/** One training run (finished, cancelled or running), resumable from its last checkpoint. */
export const trainRunSchema = z.object({
  id: idSchema,
  /** The name typed when it was started. */
  name: z.string().optional(),
  preset: z.string(),
  state: z.enum(['running', 'finished', 'stopped', 'failed']),
  epochsDone: z.number().int().min(0),
  epochsPlanned: z.number().int().min(0),
  /** Optimizer steps taken so far (a run cancelled inside its first epoch still has some). */
  steps: z.number().int().min(0).optional(),
  /** Steps the whole run plans, when known. */
  stepsPlanned: z.number().int().min(0).optional(),
  /** The latest training loss: the last epoch's, or the epoch so far when the run was cancelled inside one. */
  loss: z.number().optional(),
  /** Loss per completed epoch, for the chart. */
  history: z.array(z.object({ epoch: z.number().int(), loss: z.number(), validationLoss: z.number().optional() })),
  /** The model it produced, once it has produced one. */
  modelId: idSchema.optional(),
  /** The tensor backend that trains (or trained) it, e.g. `wasm`, `tensorflow`. */
  backend: z.string().optional(),
  createdAt: isoTimeSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// Files

/** A file the backend wrote or holds (a generated MIDI, a render, an evaluation report). */
export const fileEntrySchema = z.object({
  path: z.string(),
  name: z.string(),
  sizeBytes: z.number().int().min(0),
  modifiedAt: isoTimeSchema,
  kind: z.enum(['midi', 'wav', 'json', 'other']),
});

/** A generated piece as a take: what made it (from its sidecar), the user's marks, and its render and refinement. */
export const takeSchema = z.object({
  midi: fileEntrySchema,
  /** The name the user gave it, else the file's name without `.mid`. */
  name: z.string(),
  renamed: z.boolean(),
  favourite: z.boolean(),
  /** The model that composed it; `missing` when that model has been deleted since. */
  model: z.object({ id: idSchema.optional(), name: z.string(), missing: z.boolean().optional() }).optional(),
  seed: z.number().optional(),
  temperature: z.number().optional(),
  /** 0 = all tokens. */
  topK: z.number().optional(),
  /** 1 = no limit. */
  topP: z.number().optional(),
  /** Tempo written into the MIDI, in quarter notes per minute. */
  bpm: z.number().optional(),
  /** What the model started from: a corpus piece (its title) or a MIDI file (its name). */
  primer: z.object({ kind: z.enum(['corpus', 'midi']), label: z.string() }).optional(),
  generatedAt: z.string().optional(),
  /** Its latest render. */
  render: fileEntrySchema.optional(),
  /** Its latest refinement, with its audio. */
  refined: z.object({ midi: fileEntrySchema, wav: fileEntrySchema.optional() }).optional(),
});

/** A WAV reduced to min/max per bucket for drawing, plus where to fetch the audio itself. */
export const waveformSchema = z.object({
  sampleRateHz: z.number().positive(),
  channels: z.number().int().positive(),
  durationSeconds: z.number().min(0),
  /** Minimum sample (-1..1) of each bucket, channels mixed. */
  min: z.array(z.number()),
  /** Maximum sample (-1..1) of each bucket, channels mixed. */
  max: z.array(z.number()),
  /** Integrated loudness (EBU R128), in LUFS; null for silence. The A/B player level-matches takes with it. */
  loudnessLufs: z.number().nullable().optional(),
  /** A URL the page can play or hand to wavesurfer (browser mode: HTTP with token; Electron: cadenza-media://). */
  url: z.string(),
});

// ---------------------------------------------------------------------------------------------
// Settings

/** A render sample rate, in Hz: the rates the synthesizer renders and the refined WAVs are mastered at. */
export const sampleRateSchema = z.literal(SAMPLE_RATES_HZ);
/** A synth engine (core/common/render/settings.ts `ENGINE_CHOICES`). */
export const engineSchema = z.enum(ENGINE_CHOICES);

/** What the user can set; persisted in `<dataDir>/settings.json`. */
export const settingsSchema = z.object({
  /** The data folder (read-only here: it is chosen with --data-dir, CADENZA_DATA_DIR, or the app's folder dialog). */
  dataDir: z.string(),
  /** SoundFont file for rendering; null = the bundled default. */
  soundFont: z.string().nullable(),
  /** Kernel provider for training: `auto` picks the fastest present (the system BLAS, tfjs-node-gpu, tfjs-node, wasm, cpu). */
  backend: z.enum(['auto', 'blas', 'webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']),
  /** A BLAS library file (exporting cblas_sgemm) to try before the system's; null = the system's. */
  blasLibrary: z.string().min(1).refine((s) => !s.includes('\0'), 'no NUL bytes').nullable(),
  /** Synth engine: `auto` = native FluidSynth when the library is present, else wasm. */
  engine: engineSchema,
  /** Render sample rate in Hz: what the synthesizer renders (`SAMPLE_RATES_HZ` in core/common/render/settings.ts). */
  sampleRateHz: sampleRateSchema,
});
/** The settings a request may change (everything but the data folder). */
export const settingsPatchSchema = settingsSchema.omit({ dataDir: true }).partial().strict();

/** Defaults for a fresh data folder. */
export const DEFAULT_SETTINGS: Omit<z.infer<typeof settingsSchema>, 'dataDir'> = {
  soundFont: null,
  backend: 'auto',
  blasLibrary: null,
  engine: 'auto',
  sampleRateHz: 44100,
};

// ---------------------------------------------------------------------------------------------
// Jobs

/** The kinds of long work that run as jobs. */
export const jobKindSchema = z.enum(['import', 'rescan', 'preprocess', 'train', 'generate', 'synthesize', 'refine', 'evaluate']);
/** Where a job is in its life. */
export const jobStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

/** A job as the history and the UI see it. */
export const jobInfoSchema = z.object({
  id: idSchema,
  kind: jobKindSchema,
  state: jobStateSchema,
  /** The validated request that started it. */
  params: z.unknown(),
  createdAt: isoTimeSchema,
  startedAt: isoTimeSchema.optional(),
  endedAt: isoTimeSchema.optional(),
  /** The last progress report. */
  progress: progressSchema.optional(),
  /** What it produced (see `JobResults` in contract.ts for each kind's shape). */
  result: z.unknown().optional(),
  /** Why it failed or that it was cancelled. */
  error: serializedErrorSchema.optional(),
});
/** What a job-starting operation answers at once. */
export const jobRefSchema = z.object({ jobId: idSchema });

/** Events the backend pushes: progress of a running job, or a job's changed state. */
export const jobEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('progress'),
    jobId: idSchema,
    /** Increases by one per event of this job, so the UI can tell order and gaps. */
    seq: z.number().int().min(0),
    stage: z.string(),
    done: z.number(),
    total: z.number().optional(),
    message: z.string().optional(),
    metrics: z.record(z.string(), z.number()).optional(),
    /** Seconds until the run ends (core/common/eta.ts), when known. */
    remainingSeconds: z.number().min(0).optional(),
  }),
  z.object({ type: z.literal('job'), seq: z.number().int().min(0), job: jobInfoSchema }),
]);

/** Song type as the api sees it. */
export type ApiSong = z.infer<typeof songSchema>;
/** A piece without notes. */
export type PieceSummary = z.infer<typeof pieceSummarySchema>;
/** A piece with notes. */
export type Piece = z.infer<typeof pieceSchema>;
/** A page of pieces. */
export type PiecePage = z.infer<typeof piecePageSchema>;
/** A model entry. */
export type ModelInfo = z.infer<typeof modelInfoSchema>;
/** A training run entry. */
export type TrainRun = z.infer<typeof trainRunSchema>;
/** A file entry. */
export type FileEntry = z.infer<typeof fileEntrySchema>;
/** Waveform peaks plus a playable URL. */
export type Waveform = z.infer<typeof waveformSchema>;
/** A generated piece as a take. */
export type TakeEntry = z.infer<typeof takeSchema>;
/** The user's settings. */
export type Settings = z.infer<typeof settingsSchema>;
/** A change to the settings. */
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;
/** A kind of job. */
export type JobKind = z.infer<typeof jobKindSchema>;
/** A job's state. */
export type JobState = z.infer<typeof jobStateSchema>;
/** A job in the history. */
export type JobInfo = z.infer<typeof jobInfoSchema>;
/** A pushed event. */
export type JobEvent = z.infer<typeof jobEventSchema>;

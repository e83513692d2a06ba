/**
 * The one API contract between the UI and the backend. Every operation is a namespace and a
 * method (`corpus.list`) with a zod schema for its request and its response. From this object
 * come: the `Api` type the renderer calls, the `ApiHandlers` type the backend implements, the
 * backend's runtime validation (`dispatch.ts`), the preload bridge and the WebSocket client.
 * Long operations answer a `{jobId}` at once; their progress arrives as `JobEvent`s.
 */
import { z } from 'zod';
import { DEFAULT_SAMPLING, SAMPLING_LIMITS } from '../core/common/generate/sampling';
import { GENERATE_LIMITS } from '../core/common/generate/options';
import { DEFAULT_REFINE_TEMPERATURE, REFINE_LIMITS } from '../core/common/refine/options';
import type { NumberRange } from '../core/common/validate';
import {
  fileEntrySchema,
  pieceSummarySchema,
  idSchema,
  jobInfoSchema,
  jobRefSchema,
  modelInfoSchema,
  pathSchema,
  pieceSchema,
  piecePageSchema,
  serializedErrorSchema,
  sampleRateSchema,
  engineSchema,
  settingsPatchSchema,
  settingsSchema,
  trainRunSchema,
  takeSchema,
  waveformSchema,
  type JobEvent,
} from './schemas';

/** One operation: what it takes, what it answers, and whether the answer is a job reference. */
export interface OperationDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** True when the operation starts a job and answers `{jobId}` at once. */
  job: boolean;
}

function call<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): OperationDef<I, O> {
  return { input, output, job: false };
}
function job<I extends z.ZodType>(input: I): OperationDef<I, typeof jobRefSchema> {
  return { input, output: jobRefSchema, job: true };
}

const none = z.strictObject({});

/** A number schema with core's range (core/common/validate.ts `NumberRange`), so limits are written once. */
function range(r: NumberRange): z.ZodNumber {
  let n = z.number();
  if (r.integer) n = n.int();
  if (r.min !== undefined) n = n.min(r.min);
  if (r.max !== undefined) n = n.max(r.max);
  return n;
}
const ok = z.object({ ok: z.literal(true) });

// ---------------------------------------------------------------------------------------------
// Job requests (each is also the `params` of the job it starts)

/** `corpus.import`: MIDI files or folders (searched recursively) to add to the corpus. */
export const importRequestSchema = z.strictObject({ paths: z.array(pathSchema).min(1).max(100_000) });
/** `corpus.rescan`: re-read every stored file and rebuild the index. */
export const rescanRequestSchema = none;
/** `preprocess.start`: tokenize the corpus into training data. */
export const preprocessRequestSchema = z.strictObject({
  /** `remi` prepares both the composer's remi tokens and the windowed presets' notes tokens. */
  tokenizer: z.enum(['remi', 'notes', 'seed', 'performance']).default('remi'),
  /** Fraction of pieces held out for validation (0..0.5). */
  validationFraction: z.number().min(0).max(0.5).default(0.1),
  /** Only these pieces (default: the whole corpus). */
  pieceIds: z.array(idSchema).min(1).optional(),
  /** Seed for the train/validation split. */
  seed: z.number().int().min(0).default(1),
});
/** `train.start`: train a BiLSTM on the preprocessed data (`composer*`: the composer on remi tokens; the others: the windowed BiLSTM on notes tokens). */
export const trainRequestSchema = z.strictObject({
  preset: z.enum(['composer', 'composer-small', 'composer-tiny', 'tiny', 'small', 'default', 'seed']).default('composer-small'),
  /** Passes over the data, at most (the preset's number when absent). */
  epochs: z.number().int().min(1).max(10_000).optional(),
  /** Stop after this many optimizer steps in all (for quick tries and tests). */
  maxSteps: z.number().int().min(1).optional(),
  /** Name shown for the model it produces. */
  name: z.string().min(1).max(200).optional(),
  seed: z.number().int().min(0).optional(),
});
/** `train.resume`: continue a stopped run from its last checkpoint. */
export const resumeRequestSchema = z.strictObject({
  runId: idSchema,
  epochs: z.number().int().min(1).max(10_000).optional(),
  maxSteps: z.number().int().min(1).optional(),
});
/** `generate.start`: compose new pieces with a model. */
export const generateRequestSchema = z.strictObject({
  /** The model to use (default: the default model). */
  modelId: idSchema.optional(),
  count: z.number().int().min(GENERATE_LIMITS.count.min).max(GENERATE_LIMITS.count.max).default(1),
  /** Length of each piece in events (notes and chords); ignored when `lengthSeconds` is given. */
  lengthTokens: z.number().int().min(8).max(20_000).default(400),
  /** Length of each piece in seconds of music (what the UI asks for); wins over `lengthTokens`. */
  lengthSeconds: z.number().min(1).max(3600).optional(),
  /** Sampling temperature (default: the model's, as `--temperature`). */
  temperature: range(SAMPLING_LIMITS.temperature).optional(),
  /** Sample only among the k most likely tokens (0 = all). */
  topK: range(SAMPLING_LIMITS.topK).max(10_000).default(DEFAULT_SAMPLING.topK),
  /** Sample only among the likeliest tokens that make up this probability (default: the model's; `--top-p`). */
  topP: range(SAMPLING_LIMITS.topP).optional(),
  /** Never repeat one event more than this many times in a row (0 = allow; default: core's; `--max-repeat`). */
  maxRepeat: range(SAMPLING_LIMITS.maxRepeat).max(1000).optional(),
  /** Composer only: how much a piece reuses its own earlier passages, 0..1 (default: the model's). */
  memory: range(GENERATE_LIMITS.memory).optional(),
  seed: range(GENERATE_LIMITS.seed).optional(),
  /** Start from the opening of this corpus piece instead of a random window. */
  primerPieceId: idSchema.optional(),
  /** Start from the opening of this MIDI file (in the data folder or chosen by the user); not with primerPieceId. */
  primerPath: pathSchema.optional(),
  /** Tempo of the written MIDI, in quarter notes per minute (absent: the primer's, else `DEFAULT_TEMPO_BPM`, as `--tempo`). */
  bpm: range(GENERATE_LIMITS.tempoBpm).optional(),
});
/** `synthesize.start`: render MIDI files to WAV. */
export const synthesizeRequestSchema = z.strictObject({
  paths: z.array(pathSchema).min(1).max(1000),
  /** SoundFont to use instead of the settings' one. */
  soundFont: pathSchema.optional(),
  engine: engineSchema.optional(),
  sampleRateHz: sampleRateSchema.optional(),
});
/** `refine.start`: rewrite a MIDI file with the Music Transformer. */
export const refineRequestSchema = z.strictObject({
  path: pathSchema,
  modelId: idSchema.optional(),
  temperature: range(REFINE_LIMITS.temperature).default(DEFAULT_REFINE_TEMPERATURE),
  seed: range(REFINE_LIMITS.seed).optional(),
  /** 0..1: phrase dynamics, tempo curve, voicing, pedal and micro-timing (`--expression`; default `DEFAULT_EXPRESSION`). */
  expression: range(REFINE_LIMITS.expression).optional(),
});
/** `evaluate.start`: measure generated pieces against the corpus. */
export const evaluateRequestSchema = z.strictObject({
  /** Generated pieces (MIDI), compared with the corpus as the `generated` set. */
  paths: z.array(pathSchema).max(1000).default([]),
  /** Refined takes (MIDI), compared with the corpus as the `refined` set beside them. */
  refinedPaths: z.array(pathSchema).max(1000).default([]),
});

/** What each kind of job produces (in `JobInfo.result` once it has succeeded). */
export const jobResultSchemas = {
  import: z.object({
    imported: z.number().int().min(0),
    duplicates: z.number().int().min(0),
    failed: z.array(z.object({ path: z.string(), error: serializedErrorSchema })),
  }),
  rescan: z.object({ pieces: z.number().int().min(0), failed: z.array(z.object({ path: z.string(), error: serializedErrorSchema })) }),
  preprocess: z.object({
    tokenizer: z.string(),
    pieces: z.number().int().min(0),
    trainTokens: z.number().int().min(0),
    validationTokens: z.number().int().min(0),
    vocabSize: z.number().int().min(0),
  }),
  train: z.object({ runId: idSchema, modelId: idSchema.optional(), epochsDone: z.number().int().min(0), loss: z.number().optional(), validationLoss: z.number().optional() }),
  generate: z.object({ files: z.array(fileEntrySchema) }),
  synthesize: z.object({ files: z.array(fileEntrySchema) }),
  refine: z.object({ files: z.array(fileEntrySchema) }),
  evaluate: z.object({ report: fileEntrySchema, summary: z.record(z.string(), z.number()) }),
} as const;

/** The request that started each kind of job (its `JobInfo.params`). */
export const jobParamSchemas = {
  import: importRequestSchema,
  rescan: rescanRequestSchema,
  preprocess: preprocessRequestSchema,
  // The handlers add the run's id (a new run) or the run to resume, and the refining model's folder.
  train: trainRequestSchema.extend({ runId: idSchema.optional(), resumeRunId: idSchema.optional() }),
  generate: generateRequestSchema,
  synthesize: synthesizeRequestSchema,
  refine: refineRequestSchema.extend({ modelPath: pathSchema.optional() }),
  evaluate: evaluateRequestSchema,
} as const;

/** The result type of a job kind, e.g. `JobResult<'generate'>` = `{files: FileEntry[]}`. */
export type JobResult<K extends keyof typeof jobResultSchemas> = z.infer<(typeof jobResultSchemas)[K]>;
/** The params type of a job kind. */
export type JobParams<K extends keyof typeof jobParamSchemas> = z.infer<(typeof jobParamSchemas)[K]>;

// ---------------------------------------------------------------------------------------------
// Other responses

/** One training kernel provider: whether it can run here, and why not when it cannot. */
export const kernelInfoSchema = z.object({
  provider: z.enum(['blas', 'webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']),
  available: z.boolean(),
  reason: z.string().optional(),
  /** The device it found (the GPU's adapter for webgpu), in one line. */
  device: z.string().optional(),
});
/** `app.info`: which backend this is and what it can do. */
export const appInfoSchema = z.object({
  /** `electron` (native dialogs, drops) or `browser` (`cadenza serve`: uploads and downloads). */
  mode: z.enum(['electron', 'browser']),
  version: z.string(),
  dataDir: z.string(),
  platform: z.string(),
  /** Which stages this build can run; the UI greys out the others. */
  stages: z.record(z.string(), z.boolean()),
  /** Each CPU training kernel provider, whether it can run on this machine, and why not when it cannot (the GPU: `app.gpu`). */
  kernels: z.array(kernelInfoSchema).optional(),
  /** The file name of the SoundFont renders use when Settings names none, e.g. `MuseScore_General_Lite.sf3`. */
  bundledSoundFont: z.string().optional(),
});
/** `dialogs.*`: the chosen paths (empty when the user cancelled). */
export const chosenPathsSchema = z.object({ paths: z.array(z.string()) });
/** A MIDI file read for the piano roll. */
export const midiFileSchema = z.object({
  song: pieceSchema.shape.song,
  durationSeconds: z.number().min(0),
  /** Problems the reader fixed or skipped (overlapping notes, empty tracks…). */
  warnings: z.array(z.string()),
});

/** Paging and sorting of piece lists. */
const pageFields = {
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
  sort: z.enum(['composer', 'title', 'duration', 'notes', 'imported']).default('composer'),
  descending: z.boolean().default(false),
};

/** The whole contract: namespace → method → operation. */
export const contract = {
  app: {
    /** Mode, version, data folder, available stages. */
    info: call(none, appInfoSchema),
    /** The GPU training would use (WebGPU): asked apart from `info`, since finding the adapter loads Dawn (about half a second). */
    gpu: call(none, kernelInfoSchema),
  },
  corpus: {
    /** Import MIDI files or folders (job). */
    import: job(importRequestSchema),
    /** A page of pieces, sorted by `sort` (default: composer, then title). */
    list: call(z.strictObject({ ...pageFields }), piecePageSchema),
    /** Pieces where every word of the query occurs in the title, composer or file name (case-insensitive), sorted as `list`. */
    search: call(z.strictObject({ query: z.string().max(500), ...pageFields }), piecePageSchema),
    /** One piece with its notes. */
    get: call(z.strictObject({ id: idSchema }), pieceSchema),
    /** Give a piece the composer and title the user chose (either may be left out); answers the piece. */
    rename: call(
      // Lengths and emptiness are checked by the store, which says so in the app's words.
      z.strictObject({ id: idSchema, composer: z.string().max(10_000).optional(), title: z.string().max(10_000).optional() }),
      pieceSummarySchema,
    ),
    /** Delete pieces from the corpus (the imported originals are not touched). */
    remove: call(z.strictObject({ ids: z.array(idSchema).min(1).max(100_000) }), z.object({ removed: z.number().int().min(0) })),
    /** Re-read every stored file and rebuild the index (job). */
    rescan: job(rescanRequestSchema),
  },
  preprocess: {
    /** Tokenize the corpus into training data (job). */
    start: job(preprocessRequestSchema),
    /** The current preprocessed data set, or null when there is none. */
    info: call(
      none,
      jobResultSchemas.preprocess
        .extend({
          /** Corpus pieces imported since the data was prepared. */
          addedPieces: z.number().int().min(0).optional(),
          /** Pieces the data holds that the corpus no longer has. */
          removedPieces: z.number().int().min(0).optional(),
          /** True when training would not see the corpus as it is now: prepare again. */
          stale: z.boolean().optional(),
        })
        .nullable(),
    ),
  },
  train: {
    /** Start a training run (job; one training at a time). */
    start: job(trainRequestSchema),
    /** Continue a stopped run from its last checkpoint (job). */
    resume: job(resumeRequestSchema),
    /** Cancel the running training, keeping its last complete checkpoint. */
    cancel: call(none, z.object({ cancelled: z.boolean() })),
    /** Every training run, newest first. */
    runs: call(none, z.object({ runs: z.array(trainRunSchema) })),
    /** How long a run would take on the prepared data, said before it starts; null when that data is not prepared. */
    estimate: call(
      trainRequestSchema.pick({ preset: true, epochs: true, maxSteps: true }),
      z
        .object({
          epochs: z.number().int().min(0),
          stepsPerEpoch: z.number().int().min(0),
          steps: z.number().int().min(0),
          /** Seconds per optimizer step used. */
          secondsPerStep: z.number().min(0),
          /** The whole run, in seconds. */
          seconds: z.number().min(0),
          /** `measured`: this preset's last run in this data folder; `reference`: the development machine's figure. */
          basis: z.enum(['measured', 'reference']),
        })
        .nullable(),
    ),
  },
  generate: {
    /** Compose new pieces (job). */
    start: job(generateRequestSchema),
  },
  synthesize: {
    /** Render MIDI files to WAV (job). */
    start: job(synthesizeRequestSchema),
  },
  refine: {
    /** Rewrite a MIDI file with the Music Transformer (job). */
    start: job(refineRequestSchema),
  },
  evaluate: {
    /** Measure pieces against the corpus (job). */
    start: job(evaluateRequestSchema),
  },
  models: {
    /** Every model: bundled and trained. */
    list: call(none, z.object({ models: z.array(modelInfoSchema) })),
    /** Copy a model folder into the library. */
    import: call(z.strictObject({ path: pathSchema }), modelInfoSchema),
    /** Copy a model folder out to a chosen folder. */
    export: call(z.strictObject({ id: idSchema, path: pathSchema }), z.object({ path: z.string() })),
    /** Delete a trained model. */
    remove: call(z.strictObject({ id: idSchema }), ok),
    /** Make a model the one `generate` uses by default. */
    setDefault: call(z.strictObject({ id: idSchema }), modelInfoSchema),
    /** Give a trained or imported model the name the user chose; answers the model. */
    rename: call(z.strictObject({ id: idSchema, name: z.string().max(200) }), modelInfoSchema),
  },
  files: {
    /** Read a MIDI file as a Song for the piano roll. */
    readMidi: call(z.strictObject({ path: pathSchema }), midiFileSchema),
    /** A WAV's min/max peaks in `buckets` buckets, plus a URL to play it. */
    waveform: call(z.strictObject({ path: pathSchema, buckets: z.number().int().min(1).max(100_000).default(2000) }), waveformSchema),
    /** Copy a file from the data folder to a path the user chose (Electron: from `dialogs.save`). */
    export: call(z.strictObject({ from: pathSchema, to: pathSchema }), z.object({ path: z.string() })),
    /**
     * Export all: every generated piece with its takes, and the evaluation reports, as one ZIP named
     * by piece and take. With `to` (Electron: from `dialogs.save`) it is written there; without, it
     * answers a URL that downloads it as `name` (browser mode).
     */
    exportAll: call(
      z.strictObject({ to: pathSchema.optional(), name: z.string().min(1).max(255).optional() }),
      z.object({ path: z.string().optional(), url: z.string().optional(), files: z.number().int().min(0) }),
    ),
    /** A URL that downloads or streams a file (browser mode: the way to export). */
    url: call(z.strictObject({ path: pathSchema }), z.object({ url: z.string() })),
    /** A piece's takes kept from earlier renders and refinements (the latest of each), so a reload shows them again. */
    takes: call(
      z.strictObject({ path: pathSchema }),
      z.object({
        /** The latest render of the piece itself. */
        render: fileEntrySchema.optional(),
        /** The latest refinement, with its audio. */
        refined: z.object({ midi: fileEntrySchema, wav: fileEntrySchema.optional() }).optional(),
      }),
    ),
    /**
     * A MIDI file (`path`) or a library piece (`pieceId`) with the SoundFont sound, to play: rendered
     * once to a WAV kept in `<dataDir>/previews` by the MIDI's content, the SoundFont and the sample rate.
     */
    preview: call(
      z.strictObject({
        path: pathSchema.optional(),
        pieceId: idSchema.optional(),
        /** Only the first this many seconds, when the piece is longer: quick to render, so playing starts while the whole renders. */
        headSeconds: z.number().min(10).max(600).optional(),
      }),
      z.object({
        url: z.string(),
        /** The WAV's length in seconds, release tail included. */
        durationSeconds: z.number().min(0),
        /** True when it was already rendered. */
        cached: z.boolean(),
        /** True when it is only the piece's head (`headSeconds`). */
        partial: z.boolean().optional(),
      }),
    ),
    /** The SoundFont rendering uses (the settings' one, else the bundled default), as a URL the page may fetch for live playback. */
    soundFont: call(none, z.object({ url: z.string(), name: z.string(), sizeBytes: z.number().int().min(0) })),
    /** Store an uploaded file in `<dataDir>/uploads` (browser mode's way to bring MIDI in); answers its path. */
    upload: call(
      z.strictObject({
        name: z.string().min(1).max(255),
        dataBase64: z.string().max(16 * 1024 * 1024 * 4 / 3 + 4),
        /** The folder the file was in, relative to what the user picked or dropped ("Mozart"): it names the composer when the file does not. */
        folder: z.string().max(1000).optional(),
      }),
      fileEntrySchema,
    ),
    /** Files in a folder of the data folder: generated pieces, renders, uploads, evaluation reports. */
    list: call(z.strictObject({ folder: z.enum(['generated', 'renders', 'refined', 'evaluations', 'uploads', 'exports']) }), z.object({ files: z.array(fileEntrySchema) })),
  },
  takes: {
    /** Every generated piece with what made it, the user's marks and its render and refinement, newest first. */
    list: call(none, z.object({ takes: z.array(takeSchema) })),
    /** Mark a generated piece as a favourite or not, or give it a name (an empty name gives back the file's); answers it. */
    update: call(z.strictObject({ path: pathSchema, favourite: z.boolean().optional(), name: z.string().max(200).optional() }), takeSchema),
    /** Delete a generated piece with its renders and refined takes; answers the files deleted. */
    remove: call(z.strictObject({ path: pathSchema }), z.object({ removed: z.array(z.string()) })),
  },
  dialogs: {
    /** Native open dialog for MIDI files and folders (Electron only); chosen paths become usable. */
    openMidi: call(z.strictObject({ folders: z.boolean().default(false) }), chosenPathsSchema),
    /** Native open dialog for one folder (model import; Electron only). */
    openFolder: call(none, chosenPathsSchema),
    /** Native save dialog (Electron only); the chosen path becomes writable for `files.export`. */
    save: call(z.strictObject({ defaultName: z.string().max(255), extensions: z.array(z.string().regex(/^[a-z0-9]+$/)).max(10).default([]) }), chosenPathsSchema),
  },
  settings: {
    /** The current settings. */
    get: call(none, settingsSchema),
    /** Change some settings; answers all of them. */
    update: call(settingsPatchSchema, settingsSchema),
    /**
     * Electron only: pick another data folder in a native dialog; the app then restarts on it
     * (`restarting`). Browser mode answers an `ApiError` (start `cadenza serve --data-dir` instead).
     */
    chooseDataDir: call(none, z.object({ dataDir: z.string().nullable(), restarting: z.boolean() })),
  },
  jobs: {
    /** Job history, newest first (running and queued ones included). */
    list: call(z.strictObject({ limit: z.number().int().min(1).max(1000).default(100) }), z.object({ jobs: z.array(jobInfoSchema) })),
    /** One job. */
    get: call(z.strictObject({ jobId: idSchema }), jobInfoSchema),
    /** Stop a job at its next safe point; its partial outputs are deleted. */
    cancel: call(z.strictObject({ jobId: idSchema }), jobInfoSchema),
  },
} as const;

/** The contract's type. */
export type Contract = typeof contract;
/** A namespace name, e.g. `corpus`. */
export type Namespace = keyof Contract;
/** A full method name, e.g. `corpus.list`. */
export type ApiMethod = { [N in Namespace]: `${N}.${keyof Contract[N] & string}` }[Namespace];

type Input<D> = D extends OperationDef<infer I, z.ZodType> ? z.input<I> : never;
type Parsed<D> = D extends OperationDef<infer I, z.ZodType> ? z.output<I> : never;
type Output<D> = D extends OperationDef<z.ZodType, infer O> ? z.output<O> : never;
type OutputIn<D> = D extends OperationDef<z.ZodType, infer O> ? z.input<O> : never;

/** A request with only optional fields may be left out. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{}` here means "a request with no fields given".
type Caller<D, R> = {} extends Input<D> ? (input?: Input<D>) => Promise<R> : (input: Input<D>) => Promise<R>;

/** What the renderer calls: `await api.corpus.list({limit: 50})`. Failures reject with typed errors. */
export type Api = { [N in Namespace]: { [M in keyof Contract[N]]: Caller<Contract[N][M], Output<Contract[N][M]>> } } & {
  /** Listens to job events; returns the function that stops listening. */
  onEvent(listener: (event: JobEvent) => void): () => void;
};

/** What the backend implements: each method gets the validated request. */
export type ApiHandlers = {
  [N in Namespace]: { [M in keyof Contract[N]]: (input: Parsed<Contract[N][M]>) => Promise<OutputIn<Contract[N][M]>> };
};

/** Every method name, in contract order. */
export const API_METHODS: ApiMethod[] = (Object.keys(contract) as Namespace[]).flatMap((ns) =>
  Object.keys(contract[ns]).map((m) => `${ns}.${m}` as ApiMethod),
);

/** The operation for a method name, or undefined when there is none. */
export function operation(method: string): OperationDef | undefined {
  const dot = method.indexOf('.');
  if (dot < 0) return undefined;
  const ns = method.slice(0, dot);
  const m = method.slice(dot + 1);
  if (!Object.hasOwn(contract, ns)) return undefined;
  const group = contract[ns as Namespace] as Record<string, OperationDef>;
  return Object.hasOwn(group, m) ? group[m] : undefined;
}

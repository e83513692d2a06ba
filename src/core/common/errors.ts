/**
 * Typed errors. Each carries the file or field it concerns and reads as one clear sentence,
 * so the CLI can print `message` as it is and the app can show it beside what caused it.
 * They cross process boundaries as `SerializedError` and are rebuilt with `deserializeError`.
 */

/** Stable machine-readable codes, one per error class. */
export type ErrorCode =
  | 'USAGE'
  | 'MIDI_PARSE'
  | 'CORPUS'
  | 'TOKENIZE'
  | 'DATA'
  | 'MODEL'
  | 'RENDER'
  | 'SOUNDFONT'
  | 'AUDIO'
  | 'IO'
  | 'CANCELLED'
  | 'JOB'
  | 'API'
  | 'INTERNAL';

/** The base of every Cadenza error. `path` names the file, `field` the option or field, when there is one. */
export class CadenzaError extends Error {
  /** Machine-readable code; the CLI maps USAGE to exit code 2, all others to 1. */
  readonly code: ErrorCode;
  /** The file the error concerns, if any. */
  readonly path?: string;
  /** The option, flag or field the error concerns, if any. */
  readonly field?: string;
  /** Extra data that helps a developer (never needed to understand the message). */
  readonly detail?: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    options: { path?: string; field?: string; detail?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.path !== undefined) this.path = options.path;
    if (options.field !== undefined) this.field = options.field;
    if (options.detail !== undefined) this.detail = options.detail;
  }
}

type Opts = ConstructorParameters<typeof CadenzaError>[2];

/** A wrong flag, a missing argument, an out-of-range option. */
export class UsageError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('USAGE', message, options);
  }
}
/** A file that is not valid MIDI, or MIDI we refuse (e.g. SMPTE time division). */
export class MidiParseError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('MIDI_PARSE', message, options);
  }
}
/** The corpus store or its index is missing, inconsistent or asked for a piece it lacks. */
export class CorpusError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('CORPUS', message, options);
  }
}
/** A song cannot be tokenized, or tokens cannot be turned back into a song. */
export class TokenizeError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('TOKENIZE', message, options);
  }
}
/** Preprocessed data (token arrays, vocabulary, manifest) is missing or inconsistent. */
export class DataError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('DATA', message, options);
  }
}
/** A model folder is missing, incomplete, or does not fit the data. */
export class ModelError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('MODEL', message, options);
  }
}
/** Rendering MIDI to audio failed (synth engine, library loading). */
export class RenderError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('RENDER', message, options);
  }
}
/** A SoundFont is missing or unreadable. */
export class SoundFontError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('SOUNDFONT', message, options);
  }
}
/** An audio file is missing, not a WAV we read, or cannot be processed. */
export class AudioError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('AUDIO', message, options);
  }
}
/** A file system operation failed (unwritable folder, full disk). */
export class IoError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('IO', message, options);
  }
}
/** The user cancelled the operation; nothing half-written was left behind. */
export class CancelledError extends CadenzaError {
  constructor(message = 'The operation was cancelled.', options?: Opts) {
    super('CANCELLED', message, options);
  }
}
/** A job could not be started or was refused (e.g. a training already running). */
export class JobError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('JOB', message, options);
  }
}
/** A request to the API was malformed or refused. */
export class ApiError extends CadenzaError {
  constructor(message: string, options?: Opts) {
    super('API', message, options);
  }
}

/** An error as it crosses IPC or a WebSocket. */
export interface SerializedError {
  name: string;
  code: ErrorCode;
  message: string;
  path?: string;
  field?: string;
  detail?: unknown;
}

const classes: Record<ErrorCode, new (message: string, options?: Opts) => CadenzaError> = {
  USAGE: UsageError,
  MIDI_PARSE: MidiParseError,
  CORPUS: CorpusError,
  TOKENIZE: TokenizeError,
  DATA: DataError,
  MODEL: ModelError,
  RENDER: RenderError,
  SOUNDFONT: SoundFontError,
  AUDIO: AudioError,
  IO: IoError,
  CANCELLED: CancelledError,
  JOB: JobError,
  API: ApiError,
  INTERNAL: class InternalError extends CadenzaError {
    constructor(message: string, options?: Opts) {
      super('INTERNAL', message, options);
    }
  },
};

/** Turns any thrown value into a plain object that survives structured clone and JSON. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof CadenzaError) {
    const out: SerializedError = { name: error.name, code: error.code, message: error.message };
    if (error.path !== undefined) out.path = error.path;
    if (error.field !== undefined) out.field = error.field;
    if (error.detail !== undefined) out.detail = error.detail;
    return out;
  }
  if (error instanceof Error) return { name: 'InternalError', code: 'INTERNAL', message: error.message };
  return { name: 'InternalError', code: 'INTERNAL', message: String(error) };
}

/** Rebuilds the typed error on the receiving side, so `instanceof MidiParseError` works there too. */
export function deserializeError(data: SerializedError): CadenzaError {
  const Cls = classes[data.code] ?? classes.INTERNAL;
  return new Cls(data.message, { path: data.path, field: data.field, detail: data.detail });
}

/** Throws `CancelledError` when the signal has been aborted; call it between units of work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

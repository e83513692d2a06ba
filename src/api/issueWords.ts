/**
 * Request validation failures in the app's words: zod's issue for a field becomes one sentence
 * naming the field as the screens do ("The number of pieces must be at least 1.").
 */
import type { z } from 'zod';

/** How the screens name each request field. */
const FIELD_WORDS: Record<string, string> = {
  count: 'The number of pieces',
  lengthTokens: 'The length in tokens',
  lengthSeconds: 'The length',
  temperature: 'The temperature',
  topK: 'Top-k',
  topP: 'Top-p',
  maxRepeat: 'The repeat limit',
  memory: 'Repetition',
  seed: 'The seed',
  bpm: 'The tempo',
  primerPieceId: 'The primer piece',
  primerPath: 'The primer file',
  modelId: 'The model',
  epochs: 'The number of epochs',
  maxSteps: 'The step limit',
  name: 'The name',
  preset: 'The preset',
  runId: 'The training run',
  tokenizer: 'The tokenizer',
  validationFraction: 'The validation share',
  pieceIds: 'The list of pieces',
  ids: 'The list of pieces',
  id: 'The item',
  paths: 'The list of files',
  path: 'The file',
  from: 'The file to export',
  to: 'The export destination',
  soundFont: 'The SoundFont',
  engine: 'The synth engine',
  sampleRateHz: 'The sample rate',
  backend: 'The tensor backend',
  blasLibrary: 'The BLAS library',
  expression: 'Expression',
  title: 'The title',
  composer: 'The composer',
  query: 'The search',
  limit: 'The page size',
  offset: 'The page start',
  sort: 'The sort order',
  descending: 'The sort direction',
  folder: 'The folder',
  buckets: 'The waveform detail',
  jobId: 'The job',
  dataBase64: 'The uploaded file',
  defaultName: 'The file name',
  extensions: 'The file types',
};

/** The field's name as the screens say it; unknown fields are spelt out from their camelCase. */
export function fieldWords(path: readonly PropertyKey[]): string {
  const names = path.filter((p): p is string => typeof p === 'string');
  const last = names[names.length - 1];
  if (last === undefined) return 'The request';
  const known = FIELD_WORDS[last];
  if (known) return known;
  const spelt = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return `The ${spelt}`;
}

/** What is wrong with the value, as the rest of a sentence ("must be at least 1"). */
function complaint(issue: z.core.$ZodIssue): string {
  const i = issue as z.core.$ZodIssue & {
    origin?: string;
    minimum?: number | bigint;
    maximum?: number | bigint;
    inclusive?: boolean;
    expected?: string;
    values?: unknown[];
    input?: unknown;
  };
  const n = (v: number | bigint | undefined): string => Number(v).toLocaleString('en');
  switch (i.code) {
    case 'too_small':
      if (i.origin === 'string')
        return Number(i.minimum) <= 1 ? 'cannot be empty' : `needs at least ${n(i.minimum)} characters`;
      if (i.origin === 'array' || i.origin === 'set')
        return Number(i.minimum) <= 1 ? 'needs at least one item' : `needs at least ${n(i.minimum)} items`;
      return i.inclusive === false ? `must be more than ${n(i.minimum)}` : `must be at least ${n(i.minimum)}`;
    case 'too_big':
      if (i.origin === 'string') return `can have at most ${n(i.maximum)} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `can hold at most ${n(i.maximum)} items`;
      return i.inclusive === false ? `must be less than ${n(i.maximum)}` : `must be at most ${n(i.maximum)}`;
    case 'invalid_type':
      if (/received undefined/.test(i.message)) return 'is missing';
      if (i.expected === 'int') return 'must be a whole number';
      if (i.expected === 'number') return 'must be a number';
      if (i.expected === 'string') return 'must be text';
      if (i.expected === 'boolean') return 'must be on or off';
      if (i.expected === 'array') return 'must be a list';
      return 'has the wrong kind of value';
    case 'invalid_value':
      return i.values && i.values.length > 0
        ? `must be one of ${i.values.map(String).join(', ')}`
        : 'has a value this app does not offer';
    case 'not_multiple_of':
      return 'is not a step the app offers';
    case 'invalid_format':
      return 'is not written in the expected form';
    default:
      return 'is not valid';
  }
}

/** One sentence for a request's first validation issue, naming the field as the app does. */
export function issueSentence(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    return `The request has ${keys.length === 1 ? 'a field' : 'fields'} this app does not know (${keys.join(', ')}).`;
  }
  const index = issue.path.find((p) => typeof p === 'number');
  const which = index !== undefined ? ` (item ${index + 1})` : '';
  return `${fieldWords(issue.path)}${which} ${complaint(issue)}.`;
}

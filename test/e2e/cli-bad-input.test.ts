/**
 * Bad input on every command that reads files, through the real `cadenza` command: a corrupt
 * MIDI file, a text file named .mid, an empty folder, a missing path, an unknown flag, a value
 * out of range, a missing SoundFont, an output folder that cannot be made (its parent is a
 * file), a model folder that isn't one. Each must exit non-zero (2 for usage: a flag or argument
 * that names nothing usable; 1 for a file that exists but is damaged), say ONE sentence
 * that names the file or flag, print no stack trace, leave no output files (nor an empty output
 * folder) behind, and leave what is already stored (a corpus, a model folder, earlier outputs)
 * exactly as it was.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorpusStore } from '../../src/core/node/corpus/store';
import { describeRun, runCadenza, type CliRun } from './support/cli';
import { writeFixturePieces } from './support/pieces';

let work = '';
/** Paths of the fixtures, filled in by beforeAll (cases read them lazily). */
const f = {
  midi: '',
  textMid: '',
  corruptMid: '',
  noNotes: '',
  empty: '',
  textFolder: '',
  missing: '',
  aFile: '',
  notAModel: '',
  data: '',
  processed: '',
  transformer: '',
  storedModel: '',
  storedOutput: '',
  soundfont: '',
};

/** Every file under `dir` (recursively) with a hash of its bytes, to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Files (not folders) under `dir`; none when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) return [dir];
  return readdirSync(dir).flatMap((name) => filesUnder(path.join(dir, name)));
}

/** One bad invocation and what it must do. */
interface BadCase {
  name: string;
  /** Arguments after `cadenza`; `out` is a fresh folder this case may be told to write to. */
  args: (out: string) => string[];
  /** The exit code: 2 for a usage error; [1, 2] where either reading is fair (a missing input). */
  code: 1 | 2 | [1, 2];
  /** Text the error sentence must contain: the flag or the file it is about. */
  names: (out: string) => string;
  /**
   * A bug already reported to the command's owner: the case then asserts that it still fails
   * these checks, so fixing the bug turns this test red until the mark is removed.
   */
  knownBug?: string;
}

const cases: BadCase[] = [
  // corpus
  {
    name: 'corpus import: a text file named .mid',
    args: () => ['corpus', 'import', f.textMid, '--data-dir', f.data],
    code: 1,
    names: () => 'could not be read',
  },
  {
    name: 'corpus import: an empty folder',
    args: () => ['corpus', 'import', f.empty, '--data-dir', f.data],
    code: 2,
    names: () => f.empty,
  },
  {
    name: 'corpus import: a path that does not exist',
    args: () => ['corpus', 'import', f.missing, '--data-dir', f.data],
    code: 2,
    names: () => f.missing,
  },
  {
    name: 'corpus import: a data folder under a regular file',
    args: () => ['corpus', 'import', f.midi, '--data-dir', path.join(f.aFile, 'data')],
    code: 1,
    names: () => f.aFile,
  },
  {
    name: 'corpus import: an unknown flag',
    args: () => ['corpus', 'import', f.midi, '--bogus'],
    code: 2,
    names: () => '--bogus',
  },
  {
    name: 'corpus remove: an id that is not there',
    args: () => ['corpus', 'remove', 'ffffffffffff', '--data-dir', f.data],
    code: 1,
    names: () => 'ffffffffffff',
  },
  // preprocess
  {
    name: 'preprocess: a missing input folder',
    args: (out) => ['preprocess', '--input_path', f.missing, '--output_path', out],
    code: 2,
    names: () => f.missing,
  },
  {
    name: 'preprocess: an empty folder',
    args: (out) => ['preprocess', '--input_path', f.empty, '--output_path', out],
    code: 2,
    names: () => f.empty,
  },
  {
    name: 'preprocess: a folder whose only .mid is text',
    args: (out) => ['preprocess', '--input_path', f.textFolder, '--output_path', out],
    code: 1,
    names: () => 'notes.mid',
  },
  {
    name: 'preprocess: a corrupt MIDI file',
    args: (out) => ['preprocess', '--input_path', f.corruptMid, '--output_path', out],
    code: 1,
    names: () => 'broken.mid',
  },
  {
    name: 'preprocess: an existing data folder and unreadable input',
    args: () => ['preprocess', '--input_path', f.textFolder, '--output_path', f.processed],
    code: 1,
    names: () => 'notes.mid',
  },
  {
    name: 'preprocess: --valid-fraction out of range',
    args: (out) => ['preprocess', '--input_path', f.midi, '--output_path', out, '--valid-fraction', '2'],
    code: 2,
    names: () => '--valid-fraction',
  },
  {
    name: 'preprocess: an output folder under a regular file',
    args: () => ['preprocess', '--input_path', f.midi, '--output_path', path.join(f.aFile, 'processed')],
    code: 1,
    names: () => f.aFile,
  },
  // train-lstm
  {
    name: 'train-lstm: a model path that is a file',
    args: () => ['train-lstm', '--data_path', f.processed, '--model_path', f.aFile, '--preset', 'tiny'],
    code: 1,
    names: () => f.aFile,
  },
  {
    name: 'train-lstm: again into a trained model folder, without --resume or --force',
    args: () => ['train-lstm', '--data_path', f.processed, '--model_path', f.storedModel, '--preset', 'tiny'],
    code: 2,
    names: () => '--force',
  },
  {
    name: 'train-lstm: --resume with --force',
    args: (out) => [
      'train-lstm',
      '--data_path',
      f.processed,
      '--model_path',
      out,
      '--preset',
      'tiny',
      '--resume',
      '--force',
    ],
    code: 2,
    names: () => '--force',
  },
  {
    name: 'train-lstm: data that is not preprocessed, into an existing model folder',
    args: () => ['train-lstm', '--data_path', f.midi, '--model_path', f.storedModel, '--preset', 'tiny'],
    code: 2,
    names: () => f.midi,
  },
  {
    name: 'train-lstm: a missing data folder',
    args: (out) => ['train-lstm', '--data_path', f.missing, '--model_path', out, '--preset', 'tiny'],
    code: 2,
    names: () => f.missing,
  },
  {
    name: 'train-lstm: an unknown preset',
    args: (out) => ['train-lstm', '--data_path', f.processed, '--model_path', out, '--preset', 'huge'],
    code: 2,
    names: () => '--preset',
  },
  {
    name: 'train-lstm: --dropout out of range',
    args: (out) => [
      'train-lstm',
      '--data_path',
      f.processed,
      '--model_path',
      out,
      '--preset',
      'tiny',
      '--dropout',
      '5',
    ],
    code: 2,
    names: () => '--dropout',
  },
  {
    name: 'train-lstm: a model folder under a regular file',
    args: () => [
      'train-lstm',
      '--data_path',
      f.processed,
      '--model_path',
      path.join(f.aFile, 'model'),
      '--preset',
      'tiny',
    ],
    code: 1,
    names: () => f.aFile,
  },
  {
    name: 'train-lstm: --resume with no checkpoint',
    args: (out) => [
      'train-lstm',
      '--data_path',
      f.processed,
      '--model_path',
      out,
      '--preset',
      'tiny',
      '--resume',
    ],
    code: [1, 2],
    names: (out) => out,
  },
  // generate
  {
    name: 'generate: a model folder that is not one',
    args: () => ['generate', '--model_path', f.notAModel, '--output_path', f.storedOutput],
    code: 1,
    names: () => f.notAModel,
  },
  {
    name: 'generate: a missing model folder',
    args: (out) => ['generate', '--model_path', f.missing, '--output_path', out],
    code: 2,
    names: () => f.missing,
  },
  {
    name: 'generate: a missing primer',
    args: (out) => ['generate', '--output_path', out, '--primer', path.join(f.missing, 'p.mid')],
    code: 2,
    names: () => `${path.join(f.missing, 'p.mid')}, which does not exist`,
  },
  {
    name: 'generate: an output folder that is a regular file',
    args: () => ['generate', '--output_path', f.aFile],
    code: 1,
    names: () => f.aFile,
  },
  {
    name: 'generate: an output folder under a regular file',
    args: () => ['generate', '--output_path', path.join(f.aFile, 'out')],
    code: 1,
    names: () => f.aFile,
  },
  {
    name: 'generate: --temperature out of range',
    args: (out) => ['generate', '--model_path', f.notAModel, '--output_path', out, '--temperature', '-1'],
    code: 2,
    names: () => '--temperature',
  },
  {
    name: 'generate: --count 0',
    args: (out) => ['generate', '--model_path', f.notAModel, '--output_path', out, '--count', '0'],
    code: 2,
    names: () => '--count',
  },
  {
    name: 'generate: an unknown flag',
    args: (out) => ['generate', '--output_path', out, '--temprature', '1'],
    code: 2,
    names: () => '--temprature',
  },
  // synthesize
  {
    name: 'synthesize: a text file named .mid',
    args: (out) => ['synthesize', '--midi_path', f.textMid, '--output_path', out],
    code: 1,
    names: () => f.textMid,
  },
  {
    name: 'synthesize: a corrupt MIDI file',
    args: (out) => ['synthesize', '--midi_path', f.corruptMid, '--output_path', out],
    code: 1,
    names: () => f.corruptMid,
  },
  {
    name: 'synthesize: an empty folder',
    args: (out) => ['synthesize', '--midi_path', f.empty, '--output_path', out],
    code: 2,
    names: () => f.empty,
  },
  {
    name: 'synthesize: a missing MIDI file',
    args: (out) => ['synthesize', '--midi_path', f.missing, '--output_path', out],
    code: 2,
    names: () => f.missing,
  },
  {
    name: 'synthesize: a missing SoundFont',
    args: (out) => [
      'synthesize',
      '--midi_path',
      f.midi,
      '--output_path',
      out,
      '--soundfont',
      path.join(f.missing, 'x.sf2'),
    ],
    code: 2,
    names: () => path.join(f.missing, 'x.sf2'),
  },
  {
    name: 'synthesize: a text file as SoundFont',
    args: (out) => ['synthesize', '--midi_path', f.midi, '--output_path', out, '--soundfont', f.aFile],
    code: 1,
    names: () => f.aFile,
  },
  {
    name: 'synthesize: --sample-rate not offered',
    args: (out) => ['synthesize', '--midi_path', f.midi, '--output_path', out, '--sample-rate', '22050'],
    code: 2,
    names: () => '--sample-rate',
  },
  {
    name: 'synthesize: an output folder under a regular file',
    args: () => [
      'synthesize',
      '--midi_path',
      f.midi,
      '--output_path',
      path.join(f.aFile, 'audio'),
      '--soundfont',
      f.soundfont,
    ],
    code: 1,
    names: () => f.aFile,
  },
  // train-transformer
  {
    name: 'train-transformer: a missing data folder',
    args: (out) => ['train-transformer', '--data_path', f.missing, '--model_path', out, '--preset', 'tiny'],
    code: [1, 2],
    names: () => f.missing,
  },
  {
    name: 'train-transformer: --heads 0',
    args: (out) => [
      'train-transformer',
      '--data_path',
      f.processed,
      '--model_path',
      out,
      '--preset',
      'tiny',
      '--heads',
      '0',
    ],
    code: 2,
    names: () => '--heads',
  },
  // refine
  {
    name: 'refine: a text file named .mid',
    args: (out) => ['refine', '--midi_path', f.textMid, '--output_path', out, '--model_path', f.transformer],
    code: 1,
    names: () => f.textMid,
  },
  {
    name: 'refine: a missing audio folder',
    args: (out) => ['refine', '--audio_path', f.missing, '--output_path', out, '--model_path', f.transformer],
    code: [1, 2],
    names: () => f.missing,
  },
  {
    name: 'refine: a model folder that is not one',
    args: (out) => ['refine', '--midi_path', f.midi, '--output_path', out, '--model_path', f.notAModel],
    code: 1,
    names: () => f.notAModel,
  },
  {
    name: 'refine: --strength out of range',
    args: (out) => [
      'refine',
      '--midi_path',
      f.midi,
      '--output_path',
      out,
      '--model_path',
      f.transformer,
      '--strength',
      '3',
    ],
    code: 2,
    names: () => '--strength',
  },
  {
    name: 'refine: a missing SoundFont',
    args: (out) => [
      'refine',
      '--midi_path',
      f.midi,
      '--output_path',
      out,
      '--model_path',
      f.transformer,
      '--soundfont',
      path.join(f.missing, 'x.sf3'),
    ],
    code: [1, 2],
    names: () => path.join(f.missing, 'x.sf3'),
  },
  // evaluate
  {
    name: 'evaluate: a missing reference',
    args: (out) => ['evaluate', '--reference', f.missing, '--generated', f.midi, '--output', out],
    code: 2,
    names: () => f.missing,
  },
  {
    name: 'evaluate: generated pieces that are all unreadable',
    args: (out) => ['evaluate', '--reference', f.midi, '--generated', f.textFolder, '--output', out],
    code: 1,
    names: () => 'notes.mid',
  },
  {
    name: 'evaluate: a reference whose only .mid is text',
    args: (out) => ['evaluate', '--reference', f.textFolder, '--generated', f.midi, '--output', out],
    code: 1,
    names: () => f.textFolder,
  },
  {
    name: 'evaluate: a model folder that is not one',
    args: (out) => [
      'evaluate',
      '--reference',
      f.midi,
      '--generated',
      f.midi,
      '--model',
      f.notAModel,
      '--output',
      out,
    ],
    code: 1,
    names: () => f.notAModel,
  },
  {
    name: 'evaluate: --max-targets out of range',
    args: (out) => [
      'evaluate',
      '--reference',
      f.midi,
      '--generated',
      f.midi,
      '--max-targets',
      '-5',
      '--output',
      out,
    ],
    code: 2,
    names: () => '--max-targets',
  },
  {
    name: 'evaluate: an output folder under a regular file',
    args: () => [
      'evaluate',
      '--reference',
      f.midi,
      '--generated',
      f.midi,
      '--output',
      path.join(f.aFile, 'report'),
    ],
    code: 1,
    names: () => f.aFile,
  },
  // the rest
  {
    name: 'tokenize: a text file named .mid',
    args: () => ['tokenize', f.textMid],
    code: 1,
    names: () => f.textMid,
  },
  // A file with no notes fails (exit 1) on every command, one rule (docs/ARCHITECTURE.md).
  {
    name: 'corpus import: a file with no notes',
    args: () => ['corpus', 'import', f.noNotes, '--data-dir', f.data],
    code: 1,
    names: () => 'could not be read',
  },
  {
    name: 'tokenize: a file with no notes',
    args: () => ['tokenize', f.noNotes],
    code: 1,
    names: () => f.noNotes,
  },
  {
    name: 'evaluate: generated pieces with no notes',
    args: (out) => ['evaluate', '--reference', f.midi, '--generated', f.noNotes, '--output', out],
    code: 1,
    names: () => f.noNotes,
  },
  {
    name: 'refine: a file with no notes',
    args: (out) => ['refine', '--midi_path', f.noNotes, '--output_path', out, '--model_path', f.transformer],
    code: 1,
    names: () => f.noNotes,
  },
  {
    name: 'generate: a primer with no notes',
    args: (out) => ['generate', '--output_path', out, '--primer', f.noNotes],
    code: 1,
    names: () => f.noNotes,
  },
  {
    name: 'synthesize: a file with no notes',
    args: (out) => ['synthesize', '--midi_path', f.noNotes, '--output_path', out],
    code: 1,
    names: () => f.noNotes,
  },
  {
    name: 'serve: a port out of range',
    args: () => ['serve', '--port', '99999'],
    code: 2,
    names: () => '--port',
  },
  { name: 'an unknown command', args: () => ['frobnicate'], code: 2, names: () => 'frobnicate' },
];

describe('cadenza on bad input', { timeout: 120_000 }, () => {
  let before: {
    corpus: Record<string, string>;
    model: Record<string, string>;
    processed: Record<string, string>;
    output: Record<string, string>;
  };

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'cadenza-e2e-bad-'));
    const at = (name: string): string => path.join(work, name);
    f.midi = at('midi');
    writeFixturePieces(f.midi, 2, 8);
    f.textMid = at('text.mid');
    writeFileSync(f.textMid, 'These are my notes, not a MIDI file.\n');
    f.corruptMid = at('broken.mid');
    // A real header, then a track chunk that claims more bytes than the file holds.
    writeFileSync(f.corruptMid, Buffer.from('4d546864000000060001000201e04d54726b0000010000903c', 'hex'));
    // A valid file with one empty track: nothing to learn from, tokenize, measure or refine.
    f.noNotes = at('no-notes.mid');
    writeFileSync(f.noNotes, Buffer.from('4d546864000000060000000101e04d54726b0000000400ff2f00', 'hex'));
    f.empty = at('empty');
    mkdirSync(f.empty);
    f.textFolder = at('text-folder');
    mkdirSync(f.textFolder);
    writeFileSync(path.join(f.textFolder, 'notes.mid'), 'not midi either\n');
    f.missing = at('does-not-exist');
    f.aFile = at('a-file');
    writeFileSync(f.aFile, 'a regular file, so nothing can be created under it\n');
    f.notAModel = at('not-a-model');
    mkdirSync(f.notAModel);
    writeFileSync(path.join(f.notAModel, 'config.json'), '{}\n');
    // What is already stored and must survive every bad run untouched.
    f.data = at('data');
    const store = await CorpusStore.open(f.data);
    expect((await store.import([f.midi])).added).toHaveLength(2);
    // Real token data and a tiny transformer (one step), so refine's input checks are reached
    // whatever models are bundled.
    f.processed = at('processed');
    const pre = await runCadenza([
      'preprocess',
      '--input_path',
      f.midi,
      '--output_path',
      f.processed,
      '--min-count',
      '1',
      '--valid-fraction',
      '0.5',
    ]);
    expect(pre.code, describeRun(pre)).toBe(0);
    f.transformer = at('transformer');
    const train = await runCadenza([
      'train-transformer',
      '--data_path',
      f.processed,
      '--model_path',
      f.transformer,
      '--preset',
      'tiny',
      '--epochs',
      '1',
      '--max-steps-per-epoch',
      '1',
    ]);
    expect(train.code, describeRun(train)).toBe(0);
    f.storedModel = at('stored-model');
    mkdirSync(f.storedModel);
    writeFileSync(
      path.join(f.storedModel, 'config.json'),
      '{"format":"cadenza-lstm","note":"a model someone trained"}\n',
    );
    writeFileSync(path.join(f.storedModel, 'weights.bin'), Buffer.alloc(1024, 7));
    f.storedOutput = at('stored-output');
    mkdirSync(path.join(f.storedOutput, 'generated_midi'), { recursive: true });
    writeFileSync(
      path.join(f.storedOutput, 'generated_midi', 'piece-1.mid'),
      readFileSync(path.join(f.midi, 'fixture-1.mid')),
    );
    f.soundfont = path.join(process.cwd(), 'node_modules', '@librescore', 'sf3', 'TimGM6mb.sf3.wasm');
    before = {
      corpus: snapshot(f.data),
      model: snapshot(f.storedModel),
      processed: snapshot(f.processed),
      output: snapshot(f.storedOutput),
    };
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe.concurrent('each bad input', () => {
    it.each(cases)('$name', async (c) => {
      const out = path.join(work, 'out', c.name.replace(/[^a-z0-9]+/gi, '-'));
      const run = await runCadenza(c.args(out), { timeoutMs: 110_000 });
      if (c.knownBug) {
        expect(
          () => checkBadRun(c, run, out),
          `fixed? remove knownBug from "${c.name}": ${c.knownBug}`,
        ).toThrow();
        return;
      }
      checkBadRun(c, run, out);
    });
  });

  function checkBadRun(c: BadCase, run: CliRun, out: string): void {
    const account = describeRun(run);
    if (Array.isArray(c.code)) expect(c.code, account).toContain(run.code);
    else expect(run.code, account).toBe(c.code);
    expect(run.stderr, account).not.toMatch(/^\s+at .+[:(]\d+/m);
    // Progress lines aside, the error is one line: ours ("cadenza: …") or commander's ("error: …").
    const errors = run.stderr.split('\n').filter((line) => /^(cadenza|error): /.test(line));
    expect(errors, account).toHaveLength(1);
    const sentence = errors[0]!;
    expect(sentence, account).toContain(c.names(out));
    if (sentence.startsWith('cadenza: ')) expect(sentence, account).toMatch(/[.?]$/);
    expect(run.stdout.includes('Error:'), account).toBe(false);
    expect(filesUnder(out), `${c.name} left files behind`).toEqual([]);
    expect(existsSync(out), `${c.name} left an empty output folder behind`).toBe(false);
  }

  it('leaves the corpus, the model folder, the data folder and earlier outputs as they were', () => {
    expect(snapshot(f.data)).toEqual(before.corpus);
    expect(snapshot(f.storedModel)).toEqual(before.model);
    expect(snapshot(f.processed)).toEqual(before.processed);
    expect(snapshot(f.storedOutput)).toEqual(before.output);
  });

  it('puts the error on stdout as one JSON document with --json, and the sentence on stderr', async () => {
    const run = await runCadenza([
      'synthesize',
      '--midi_path',
      f.textMid,
      '--output_path',
      path.join(work, 'json-out'),
      '--json',
    ]);
    expect(run.code, describeRun(run)).toBe(1);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string; path?: string } };
    expect(error.code).toBe('MIDI_PARSE');
    expect(error.message).toContain(f.textMid);
    expect(run.stderr).toContain(`cadenza: ${error.message}`);
    const usage = await runCadenza(['generate', '--count', 'many', '--json']);
    expect(usage.code, describeRun(usage)).toBe(2);
    expect((JSON.parse(usage.stdout) as { error: { code: string; field?: string } }).error).toMatchObject({
      code: 'USAGE',
      field: '--count',
    });
  });
});

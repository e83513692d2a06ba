/**
 * `cadenza tokenize FILE.mid --tokenizer seed|notes|performance` or `--model <dir>`: shows what a
 * model sees of one piece; with `--model`, in that model's own tokenizer and vocabulary.
 */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { TokenizeError, UsageError } from '../../core/common/errors';
import { TOKENIZER_KINDS } from '../../core/common/tokenize';
import { readModelTokenization } from '../../core/node/evaluate/likelihoodModel';
import { encodeMidiForModel, tokenizeMidi } from '../../core/node/evaluate/tokenizeForModel';
import { ioError } from '../../core/node/fs/atomic';
import { parseMidi } from '../../core/common/midi/read';
import { choiceOption } from '../options';
import { printResult, type GlobalOptions } from '../output';

export { tokenizeMidi } from '../../core/node/evaluate/tokenizeForModel';

interface TokenizeFlags extends GlobalOptions {
  tokenizer?: string;
  model?: string;
}

/** Adds `tokenize` to the program. */
export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description(
      'Print one MIDI file as tokens, as a model sees it (a JSON array of strings with --json; with --model, {"tokens", "ids"} in that model’s vocabulary).',
    )
    .argument('<file>', 'a MIDI file')
    .option('--tokenizer <kind>', `one of ${TOKENIZER_KINDS.join(', ')} (default notes)`)
    .option('--model <dir>', 'a model folder: its own tokenizer and vocabulary, with token ids')
    .option('--json', 'print as JSON')
    .action(async (file: string, flags: TokenizeFlags) => {
      if (flags.model !== undefined && flags.tokenizer !== undefined)
        throw new UsageError('Give --tokenizer or --model, not both: a model brings its own tokenizer.', {
          field: '--tokenizer',
        });
      const kind = choiceOption('--tokenizer', flags.tokenizer, TOKENIZER_KINDS) ?? 'notes';
      let bytes: Uint8Array;
      try {
        bytes = await fs.readFile(file);
      } catch (error) {
        throw ioError(error, file, 'read');
      }
      // One rule for every command (docs/ARCHITECTURE.md): a file that exists but holds nothing usable fails, exit 1.
      if (parseMidi(bytes, { sustain: false, path: file }).song.notes.length === 0)
        throw new TokenizeError(`${file} holds no notes to tokenize.`, { path: file });
      if (flags.model !== undefined) {
        const model = await readModelTokenization(flags.model);
        const { tokens, ids, stats } = encodeMidiForModel(bytes, model, file);
        printResult(
          flags,
          { tokens, ids },
          (r) =>
            wrap(r.ids.map((id) => `${model.vocab.tokens[id]}(${id})`)) +
            `\n(${r.tokens.length} tokens, ${r.ids.length} ids in the vocabulary of ${flags.model}, ${stats.unknownTokens} unknown)`,
        );
        return;
      }
      const tokens = tokenizeMidi(bytes, kind, file);
      printResult(flags, tokens, (t) => wrap(t) + `\n(${t.length} tokens, ${new Set(t).size} distinct)`);
    });
}

/** Tokens separated by spaces, in lines of at most 100 characters. */
function wrap(tokens: readonly string[]): string {
  const lines: string[] = [];
  let line = '';
  for (const t of tokens) {
    if (line && line.length + 1 + t.length > 100) {
      lines.push(line);
      line = t;
    } else line = line ? `${line} ${t}` : t;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

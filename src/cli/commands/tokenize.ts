/** `cadenza tokenize FILE.mid --tokenizer seed|notes|performance`: shows what a model sees of one piece. */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { TokenizeError, UsageError } from '../../core/common/errors';
import { getTokenizer, SeedTokenizer, TOKENIZER_KINDS } from '../../core/common/tokenize';
import type { TokenizerKind } from '../../core/common/tokenize';
import { ioError } from '../../core/node/fs/atomic';
import { parseMidi } from '../../core/node/midi/read';
import { printResult, type GlobalOptions } from '../output';

interface TokenizeFlags extends GlobalOptions {
  tokenizer: string;
}

/** The tokens of one MIDI file's bytes. Throws `MidiParseError` for a file that is not MIDI. */
export function tokenizeMidi(bytes: Uint8Array, kind: TokenizerKind, file: string): string[] {
  // seed reads the file's own event order, as music21 did; the others read a Song without sustain
  // (the performance tokenizer applies the pedal itself).
  if (kind === 'seed') return new SeedTokenizer().encodeMidi(bytes, file);
  const { song } = parseMidi(bytes, { sustain: false, path: file });
  return getTokenizer(kind).encode(song);
}

/** Adds `tokenize` to the program. */
export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description('Print one MIDI file as tokens, as a model sees it (a JSON array of strings with --json).')
    .argument('<file>', 'a MIDI file')
    .option('--tokenizer <kind>', `one of ${TOKENIZER_KINDS.join(', ')}`, 'notes')
    .option('--json', 'print the tokens as a JSON array of strings')
    .action(async (file: string, flags: TokenizeFlags) => {
      if (!(TOKENIZER_KINDS as readonly string[]).includes(flags.tokenizer))
        throw new UsageError(
          `--tokenizer must be one of ${TOKENIZER_KINDS.join(', ')}, not "${flags.tokenizer}".`,
          {
            field: '--tokenizer',
          },
        );
      let bytes: Uint8Array;
      try {
        bytes = await fs.readFile(file);
      } catch (error) {
        throw ioError(error, file, 'read');
      }
      const tokens = tokenizeMidi(bytes, flags.tokenizer as TokenizerKind, file);
      // One rule for every command (docs/ARCHITECTURE.md): a file that exists but holds nothing usable fails, exit 1.
      if (tokens.length === 0 || (flags.tokenizer !== 'seed' && parseMidi(bytes, { sustain: false, path: file }).song.notes.length === 0))
        throw new TokenizeError(`${file} holds no notes to tokenize.`, { path: file });
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

/**
 * `cadenza corpus import|list|remove|rescan`: the corpus store from the command line. Every
 * subcommand takes `--data-dir` (default: the app's data folder, so the CLI and the app share
 * one corpus) and `--json`.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CorpusError, UsageError } from '../../core/common/errors';
import { shortId } from '../../core/node/corpus/piece';
import type { Piece } from '../../core/node/corpus/piece';
import type { ImportReport, RescanReport } from '../../core/node/corpus/store';
import { CorpusStore } from '../../core/node/corpus/store';
import { dataDir as appDataDir } from '../../core/node/paths';
import { formatDuration, printResult, type GlobalOptions } from '../output';
import { runStage } from '../runStage';

interface CorpusFlags extends GlobalOptions {
  dataDir?: string;
  search?: string;
}

/** Adds `corpus` and its subcommands to the program. */
export function registerCorpus(program: Command): void {
  const corpus = program
    .command('corpus')
    .description(
      'Manage the corpus: the MIDI files Cadenza learns from, stored by content hash with an index.',
    );

  const common = (cmd: Command): Command =>
    cmd
      .option('--data-dir <dir>', 'data folder holding corpus/ (default: the app’s data folder)')
      .option('--json', 'print the result as JSON')
      .option('--quiet', 'print only the result');

  common(
    corpus
      .command('import')
      .argument('<paths...>', 'MIDI files, or folders searched recursively for .mid/.midi')
      .description(
        'Import MIDI files and folders; names come from a metadata.csv listing them, else from folder and file names.',
      ),
  )
    .addHelpText('after', '\nExample:\n  cadenza corpus import ../shared/corpora/piano-midi\n')
    .action(async (paths: string[], flags: CorpusFlags) => {
      // A path that names nothing is a usage error (exit 2), found before the store is touched.
      const missing = paths.find((p) => !existsSync(p));
      if (missing !== undefined)
        throw new UsageError(`corpus import was given ${missing}, which does not exist.`, {
          field: 'paths',
          path: missing,
        });
      const store = await CorpusStore.open(dataDir(flags));
      const report = await runStage(flags, 'the corpus is as it was', (run) => store.import(paths, run));
      if (report.added.length + report.duplicates.length + report.skipped.length === 0)
        throw new UsageError(
          `Nothing was imported: ${paths.length === 1 ? `${paths[0]} holds` : `${paths.join(', ')} hold`} no .mid or .midi files.`,
          { ...(paths.length === 1 ? { path: paths[0] } : {}), detail: report },
        );
      if (report.added.length === 0 && report.skipped.length > 0) {
        // One JSON document either way: on failure the report travels in the error's detail.
        if (!flags.json) printResult(flags, report, (r) => importSummary(store, r));
        throw new CorpusError(
          `Nothing was imported: ${report.skipped.length} ${plural(report.skipped.length, 'file')} could not be read${report.duplicates.length ? ` and ${report.duplicates.length} ${plural(report.duplicates.length, 'was', 'were')} already in the corpus` : ''}.`,
          { detail: report },
        );
      }
      printResult(flags, report, (r) => importSummary(store, r));
    });

  common(corpus.command('list').description('List the pieces in the corpus, sorted by composer and title.'))
    .option('--search <text>', 'only pieces whose composer, title or file name contain every word of TEXT')
    .action(async (flags: CorpusFlags) => {
      const store = await CorpusStore.open(dataDir(flags));
      const pieces = flags.search !== undefined ? await store.search(flags.search) : await store.list();
      printResult(flags, pieces, (p) => listing(p, flags.search));
    });

  common(
    corpus
      .command('remove')
      .argument('<ids...>', 'piece ids, or unique prefixes of them (as `corpus list` shows)')
      .description('Remove pieces from the corpus (the files they were imported from are not touched).'),
  ).action(async (ids: string[], flags: CorpusFlags) => {
    const store = await CorpusStore.open(dataDir(flags));
    // Resolve every id first, so a typo in the last one removes nothing.
    const pieces = await Promise.all(ids.map((id) => store.get(id)));
    const removed: Piece[] = [];
    for (const piece of pieces)
      if (!removed.some((p) => p.id === piece.id)) removed.push(await store.remove(piece.id));
    printResult(flags, removed, (r) =>
      r.map((p) => `Removed ${shortId(p.id)}  ${p.composer}: ${p.title}`).join('\n'),
    );
  });

  common(
    corpus
      .command('rescan')
      .description(
        'Check every stored file against its hash, drop entries whose file is gone or damaged, refresh note figures, delete leftovers.',
      ),
  ).action(async (flags: CorpusFlags) => {
    const store = await CorpusStore.open(dataDir(flags));
    const report = await runStage(flags, 'the corpus is as it was', (run) => store.rescan(run));
    printResult(flags, report, rescanSummary);
  });
}

function dataDir(flags: CorpusFlags): string {
  return flags.dataDir ?? appDataDir();
}

function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

function importSummary(store: CorpusStore, r: ImportReport): string {
  const lines = [
    `Imported ${r.added.length} ${plural(r.added.length, 'piece')} into ${store.dir} in ${(r.durationMs / 1000).toFixed(1)} s` +
      `; ${r.duplicates.length} already there, ${r.skipped.length} skipped.`,
  ];
  const repaired = new Set(r.repaired.map((d) => d.id));
  for (const d of r.duplicates)
    lines.push(`  duplicate: ${d.path} (stored as ${shortId(d.id)}${repaired.has(d.id) ? '; its damaged or missing stored copy was repaired' : ''})`);
  for (const s of r.skipped) lines.push(`  skipped: ${s.reason}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

function listing(pieces: Piece[], search: string | undefined): string {
  if (pieces.length === 0)
    return search !== undefined
      ? `No piece matches "${search}".`
      : 'The corpus is empty; add pieces with: cadenza corpus import <folder>';
  const rows = pieces.map((p) => [
    shortId(p.id),
    p.composer,
    p.title,
    formatDuration(p.durationSeconds),
    `${p.noteCount} notes`,
  ]);
  const widths = [
    12,
    Math.min(20, Math.max(...rows.map((r) => r[1]!.length))),
    Math.min(50, Math.max(...rows.map((r) => r[2]!.length))),
  ];
  const fit = (text: string, width: number): string =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  const lines = rows.map(
    (r) => `${r[0]}  ${fit(r[1]!, widths[1]!)}  ${fit(r[2]!, widths[2]!)}  ${r[3]!.padStart(7)}  ${r[4]}`,
  );
  const totalSeconds = pieces.reduce((s, p) => s + p.durationSeconds, 0);
  lines.push(`${pieces.length} ${plural(pieces.length, 'piece')}, ${formatDuration(totalSeconds)} in all.`);
  return lines.join('\n');
}

function rescanSummary(r: RescanReport): string {
  const lines = [
    `Checked ${r.checked} ${plural(r.checked, 'piece')}: ${r.missing.length} missing, ${r.damaged.length} damaged, ` +
      `${r.updated} updated, ${r.orphansRemoved} leftover ${plural(r.orphansRemoved, 'file')} removed.`,
  ];
  for (const p of r.missing)
    lines.push(`  dropped ${shortId(p.id)} ${p.composer}: ${p.title} (its stored file is gone)`);
  for (const d of r.damaged)
    lines.push(`  dropped ${shortId(d.piece.id)} ${d.piece.composer}: ${d.piece.title} (${d.reason})`);
  return lines.join('\n');
}

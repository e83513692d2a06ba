/**
 * Composer, title and year for an imported file, first found wins:
 *
 * 1. a `metadata.csv` in its folder or a parent folder that lists it (columns
 *    `composer,title,year,midi`, with `midi` the file's path relative to the csv, as in the
 *    shared piano corpus): the user's own catalogue;
 * 2. what the MIDI file says about itself in its meta events (`creditsFromTexts`);
 * 3. the folder it is in for the composer (not a folder that names nothing, such as the app's
 *    uploads), its file name for the title.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { creditsFromTexts, type Credits } from '../../common/song/credits';
import type { MidiReadResult } from '../../common/midi/read';

/** What the store records about a piece besides its notes. */
export interface PieceMetadata {
  composer: string;
  title: string;
  /** Year of composition, when the csv gives one. */
  year?: number;
}

/** The csv's name, looked for in the file's folder and every folder above it. */
export const METADATA_FILE = 'metadata.csv';

/** Parses RFC 4180 CSV text (quoted fields, doubled quotes, CRLF or LF) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

/** Turns a file or folder name into display text: underscores to spaces, spaces collapsed, first letter capitalised. */
export function tidyName(name: string): string {
  const text = name.replace(/_+/g, ' ').replace(/\s+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The composer shown when neither the file nor its folder names one. */
export const UNKNOWN_COMPOSER = 'Unknown';

/**
 * Metadata from names alone: composer from the file's folder, title from its name without
 * extension. A file directly in one of `anonymousFolders` (absolute paths) takes no composer from it.
 */
export function metadataFromNames(file: string, anonymousFolders: ReadonlySet<string> = new Set()): PieceMetadata {
  const dir = path.dirname(path.resolve(file));
  const folder = anonymousFolders.has(dir) ? '' : path.basename(dir);
  return {
    composer: folder ? tidyName(folder) : UNKNOWN_COMPOSER,
    title: tidyName(path.basename(file).replace(/\.midi?$/i, '')) || 'Untitled',
  };
}

/** What a read file says about its composer and title (its meta events, the file name settling disagreements). */
export function creditsOfFile(read: Pick<MidiReadResult, 'song' | 'texts'>, file: string): Credits {
  return creditsFromTexts(read.texts, { fileName: path.basename(file), beforeTicks: read.song.notes[0]?.startTicks });
}

/**
 * Finds metadata for files, reading each folder's csv once. A csv without a `midi` column,
 * or one that cannot be read, is skipped with a warning.
 */
export class MetadataLookup {
  private readonly byFolder = new Map<string, Promise<Map<string, PieceMetadata> | null>>();
  private readonly anonymous: ReadonlySet<string>;
  /** One sentence per csv that could not be used. */
  readonly warnings: string[] = [];

  /** `anonymousFolders`: folders whose names say nothing about the pieces directly in them (the app's uploads). */
  constructor(anonymousFolders: readonly string[] = []) {
    this.anonymous = new Set(anonymousFolders.map((f) => path.resolve(f)));
  }

  /**
   * Metadata for `file`: the nearest csv, from its folder upwards, that names it; else the
   * file's own `credits`, completed from its folder and file names. The csv search goes on past
   * the imported folder (so importing `corpus/Chopin` still finds `corpus/metadata.csv`); a csv
   * only ever describes the files it lists, so a far one cannot mislabel others.
   */
  async find(file: string, credits: Credits = {}): Promise<PieceMetadata> {
    const target = path.resolve(file);
    for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
      const csv = await this.csvOf(dir);
      // Exact path first; then ignoring case, for a csv written on a case-insensitive file system.
      const entry = csv?.get(target) ?? csv?.get(target.toLowerCase());
      if (entry) return entry;
      if (path.dirname(dir) === dir) break;
    }
    const names = metadataFromNames(target, this.anonymous);
    return { composer: credits.composer ?? names.composer, title: credits.title ?? names.title };
  }

  private csvOf(dir: string): Promise<Map<string, PieceMetadata> | null> {
    let loaded = this.byFolder.get(dir);
    if (!loaded) this.byFolder.set(dir, (loaded = this.load(dir)));
    return loaded;
  }

  private async load(dir: string): Promise<Map<string, PieceMetadata> | null> {
    const file = path.join(dir, METADATA_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.warnings.push(
          `${file} could not be read, so names come from folders and files: ${(error as Error).message}.`,
        );
      return null;
    }
    const [head, ...rows] = parseCsv(text);
    const column = (name: string): number => head?.findIndex((h) => h.trim().toLowerCase() === name) ?? -1;
    const midi = column('midi');
    if (midi < 0) {
      this.warnings.push(`${file} has no "midi" column, so names come from folders and files.`);
      return null;
    }
    const [composer, title, year] = [column('composer'), column('title'), column('year')];
    const out = new Map<string, PieceMetadata>();
    for (const row of rows) {
      // A csv made on Windows may use backslashes.
      const rel = row[midi]?.trim().replace(/\\/g, '/');
      if (!rel) continue;
      const target = path.resolve(dir, rel);
      const fallback = metadataFromNames(target);
      const meta: PieceMetadata = {
        composer: tidyName(row[composer]?.trim() ?? '') || fallback.composer,
        title: tidyName(row[title]?.trim() ?? '') || fallback.title,
      };
      const y = Number.parseInt(row[year]?.trim() ?? '', 10);
      if (Number.isInteger(y)) meta.year = y;
      out.set(target, meta);
      if (!out.has(target.toLowerCase())) out.set(target.toLowerCase(), meta);
    }
    return out;
  }
}

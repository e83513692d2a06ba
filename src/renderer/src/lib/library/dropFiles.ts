/** Collects the files of a drop (folders walked recursively) and splits MIDI files from the rest. */

/** A dropped file that will not be imported, and why (one sentence). */
export interface SkippedFile {
  /** File name or path as the user knows it. */
  path: string;
  /** Why it was skipped. */
  reason: string;
}

/** True for names ending in .mid, .midi, .kar or .smf (any case). */
export function isMidiName(name: string): boolean {
  return /\.(mid|midi|kar|smf)$/i.test(name);
}

/** Splits files into MIDI files to import and the others, each with its reason. */
export function partitionMidi(files: readonly File[]): { midi: File[]; skipped: SkippedFile[] } {
  const midi: File[] = [];
  const skipped: SkippedFile[] = [];
  for (const f of files) {
    const path = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    if (isMidiName(f.name)) midi.push(f);
    else skipped.push({ path, reason: `${f.name} is not a MIDI file (.mid or .midi).` });
  }
  return { midi, skipped };
}

type Entry = FileSystemEntry;

function readAll(reader: FileSystemDirectoryReader): Promise<Entry[]> {
  // readEntries answers in batches (100 in Chromium) until it answers an empty one.
  return new Promise((resolve, reject) => {
    const out: Entry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(out);
        else {
          out.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: Entry, out: File[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push(file);
  } else if (entry.isDirectory) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, out);
  }
}

/** What a drop holds. */
export interface DropContents {
  /** Every file, folders walked (what browser mode uploads). */
  files: File[];
  /** The dropped items themselves, folders included (Electron passes their paths to the backend, which walks folders). */
  topLevel: Array<{ file: File; isDirectory: boolean }>;
}

/** The files of a drop: folders are walked when the browser exposes entries. */
export async function filesFromDrop(dt: DataTransfer): Promise<DropContents> {
  const items = Array.from(dt.items ?? []);
  const entries = items.map((it) => (it.kind === 'file' ? (it.webkitGetAsEntry?.() ?? null) : null));
  const plain = Array.from(dt.files ?? []);
  if (!entries.some((e) => e)) return { files: plain, topLevel: plain.map((file) => ({ file, isDirectory: false })) };
  const files: File[] = [];
  const topLevel: DropContents['topLevel'] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!e) continue;
    const f = items[i]!.getAsFile();
    if (f) topLevel.push({ file: f, isDirectory: e.isDirectory });
    await walk(e, files);
  }
  return { files, topLevel };
}

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

/** A file picked or dropped, with the folder it was in. */
export interface PickedFile {
  file: File;
  /** Its folder relative to what was picked or dropped ("Mozart", "Classics/Mozart"); '' for a file picked on its own. */
  folder: string;
}

/** The folder part of a relative path ("Mozart/kv545.mid" → "Mozart"; a leading slash, as drop entries have, ignored). */
export function folderOf(relativePath: string): string {
  const parts = relativePath.split('/').filter(Boolean);
  return parts.slice(0, -1).join('/');
}

/** Files from an `<input type=file>`: with `webkitdirectory`, each knows its path inside the chosen folder. */
export function pickedFromInput(files: readonly File[]): PickedFile[] {
  return files.map((file) => ({ file, folder: folderOf((file as File & { webkitRelativePath?: string }).webkitRelativePath ?? '') }));
}

/** Splits files into MIDI files to import and the others, each with its reason. */
export function partitionMidi(files: readonly PickedFile[]): { midi: PickedFile[]; skipped: SkippedFile[] } {
  const midi: PickedFile[] = [];
  const skipped: SkippedFile[] = [];
  for (const picked of files) {
    const name = picked.file.name;
    if (isMidiName(name)) midi.push(picked);
    else skipped.push({ path: picked.folder ? `${picked.folder}/${name}` : name, reason: `${name} is not a MIDI file (.mid or .midi).` });
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

async function walk(entry: Entry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    // An entry's fullPath is "/Mozart/kv545.mid" for a file inside a dropped folder "Mozart".
    out.push({ file, folder: folderOf(entry.fullPath) });
  } else if (entry.isDirectory) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, out);
  }
}

/** What a drop holds. */
export interface DropContents {
  /** Every file, folders walked (what browser mode uploads), each with its folder. */
  files: PickedFile[];
  /** The dropped items themselves, folders included (Electron passes their paths to the backend, which walks folders). */
  topLevel: Array<{ file: File; isDirectory: boolean }>;
}

/** The files of a drop: folders are walked when the browser exposes entries. */
export async function filesFromDrop(dt: DataTransfer): Promise<DropContents> {
  const items = Array.from(dt.items ?? []);
  const entries = items.map((it) => (it.kind === 'file' ? (it.webkitGetAsEntry?.() ?? null) : null));
  const plain = Array.from(dt.files ?? []);
  if (!entries.some((e) => e)) return { files: plain.map((file) => ({ file, folder: '' })), topLevel: plain.map((file) => ({ file, isDirectory: false })) };
  const files: PickedFile[] = [];
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

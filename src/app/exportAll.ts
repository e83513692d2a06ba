/**
 * "Export all": every generated piece with its takes, the evaluation reports, and the renders and
 * refinements of other MIDI files, as the entries of one ZIP archive named by piece and take:
 *
 *   <piece>/<piece>.mid, <piece>.json          the generated piece and how it was made
 *   <piece>/<piece> (raw).wav                  its render
 *   <piece>/<piece> (refined).mid|wav          its refined take
 *   evaluations/<job>/report.html|json         evaluation reports
 *   other/renders/…, other/refined/…           takes of MIDI files that were not generated here
 *
 * `<piece>` is the name the user gave the take, else its file name; two takes of the same name
 * become `piece-1`, `piece-1 (2)`.
 */
import { createWriteStream, existsSync, promises as fs, realpathSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { ioError } from '../core/node/fs/atomic';
import path from 'node:path';
import { writeZip, type ZipEntry } from '../core/node/fs/zip';
import { listFiles, OUTPUT_FOLDERS } from './files';
import { listTakes } from './takeList';

/** A name that is one safe folder or file name on every system. */
function safeName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what a file name may not hold.
  const cleaned = name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^[.\s]+|[.\s]+$/g, '');
  return cleaned.slice(0, 120) || 'piece';
}

/** Every file to archive, with its name in the archive. */
export async function exportEntries(dataDir: string): Promise<ZipEntry[]> {
  // Takes are linked by real paths: list the folders by the same, so no file is archived twice.
  dataDir = existsSync(dataDir) ? realpathSync(dataDir) : dataDir;
  const entries: ZipEntry[] = [];
  const claimed = new Set<string>();
  const folders = new Set<string>();
  const add = (file: string | undefined, name: string): void => {
    if (!file || claimed.has(path.resolve(file)) || !existsSync(file)) return;
    claimed.add(path.resolve(file));
    entries.push({ file, name });
  };
  // Oldest first, so the first take of a name keeps it plain.
  const takes = (await listTakes(dataDir, { models: [], pieceTitle: () => undefined })).sort((a, b) =>
    a.midi.modifiedAt.localeCompare(b.midi.modifiedAt),
  );
  for (const take of takes) {
    const base = safeName(take.name);
    let folder = base;
    for (let i = 2; folders.has(folder.toLowerCase()); i++) folder = `${base} (${i})`;
    folders.add(folder.toLowerCase());
    add(take.midi.path, `${folder}/${folder}.mid`);
    add(take.midi.path.replace(/\.midi?$/i, '.json'), `${folder}/${folder}.json`);
    add(take.render?.path, `${folder}/${folder} (raw).wav`);
    add(take.refined?.midi.path, `${folder}/${folder} (refined).mid`);
    add(take.refined?.wav?.path, `${folder}/${folder} (refined).wav`);
  }
  for (const f of await listFiles(path.join(dataDir, OUTPUT_FOLDERS.evaluations)))
    add(
      f.path,
      `evaluations/${path.relative(path.join(dataDir, OUTPUT_FOLDERS.evaluations), f.path).split(path.sep).join('/')}`,
    );
  // Renders and refinements of pieces that were not generated here (opened or uploaded MIDI files); sidecars stay behind.
  for (const kind of ['renders', 'refined'] as const) {
    const root = path.join(dataDir, OUTPUT_FOLDERS[kind]);
    for (const f of await listFiles(root))
      if (f.kind === 'midi' || f.kind === 'wav')
        add(f.path, `other/${kind}/${path.relative(root, f.path).split(path.sep).join('/')}`);
  }
  return entries;
}

/** Writes the archive of `entries` to `to`: beside it first, then renamed into place, so a failure leaves no half archive. */
export async function writeZipFile(to: string, entries: readonly ZipEntry[]): Promise<string> {
  // exports/ inside the data folder may not exist yet; a save dialog's folder does.
  await fs.mkdir(path.dirname(to), { recursive: true }).catch((e: unknown) => {
    throw ioError(e, path.dirname(to), 'create');
  });
  const tmp = path.join(path.dirname(to), `.${path.basename(to)}.${randomBytes(4).toString('hex')}.tmp`);
  const out = createWriteStream(tmp);
  // A write error names the archive, not the stream's state after it.
  let failed: unknown;
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', (e) => {
      failed ??= e;
      reject(e);
    });
  });
  closed.catch(() => {});
  try {
    await once(out, 'open');
    await writeZip(entries, out);
    out.end();
    await closed;
    await fs.rename(tmp, to).catch((e: unknown) => {
      throw ioError(e, to, 'write');
    });
    return to;
  } catch (error) {
    out.destroy();
    await fs.rm(tmp, { force: true });
    if (failed !== undefined) throw ioError(failed, to, 'write');
    throw error;
  }
}

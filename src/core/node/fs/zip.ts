/**
 * A stored (uncompressed) ZIP archive written to a stream: WAVs hardly compress, and storing
 * keeps the writer small. Each file is read twice, once for its CRC-32 and once to copy it, so
 * only one chunk of it is in memory at a time however large it is. No ZIP64: an archive or a
 * file of 4 GiB or more is refused, naming the file.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import { DataError } from '../../common/errors';
import { ioError } from './atomic';

/** One file to store: where it is on disk and its name inside the archive (`/`-separated). */
export interface ZipEntry {
  /** Absolute path of the file to store. */
  file: string;
  /** Its path inside the archive, e.g. `piece-1/piece-1 (raw).wav`. */
  name: string;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (the ZIP and PNG polynomial) of `bytes`, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

async function fileCrc(file: string): Promise<number> {
  let crc = 0;
  for await (const chunk of createReadStream(file)) crc = crc32(chunk as Buffer, crc);
  return crc;
}

/** MS-DOS date and time fields of `date` (local time, two-second steps; 1980 at the earliest). */
function dosTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** Writes `chunk` and waits while the stream asks the writer to (backpressure). */
function write(out: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    out.once('error', onError);
    const ok = out.write(chunk, (error) => {
      out.off('error', onError);
      if (error) reject(error);
      else if (ok) resolve();
    });
    if (!ok) out.once('drain', resolve);
  });
}

const LIMIT = 0xffffffff;
const UTF8_NAMES = 0x0800;

/**
 * Writes a stored ZIP of `entries` to `out` (which it does not end); answers the bytes written.
 * Names are stored as UTF-8; a name twice is refused.
 */
export async function writeZip(
  entries: readonly ZipEntry[],
  out: Writable,
  signal?: AbortSignal,
): Promise<number> {
  const seen = new Set<string>();
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (signal?.aborted) throw new DataError('The archive was cancelled.', { path: entry.file });
    const name = Buffer.from(entry.name.replace(/\\/g, '/').replace(/^\/+/, ''), 'utf8');
    if (name.length === 0 || name.length > 0xffff)
      throw new DataError(`The archive name of ${entry.file} is empty or too long.`, {
        path: entry.file,
        field: 'name',
      });
    if (seen.has(entry.name))
      throw new DataError(`Two files would be stored as ${entry.name} in the archive.`, {
        path: entry.file,
        field: 'name',
      });
    seen.add(entry.name);
    const stat = await fs.stat(entry.file).catch((e: unknown) => {
      throw ioError(e, entry.file, 'read');
    });
    if (stat.size >= LIMIT || offset + 30 + name.length + stat.size >= LIMIT)
      throw new DataError(
        `${entry.file} would take the archive past 4 GiB, which a plain ZIP cannot hold; export it on its own.`,
        { path: entry.file },
      );
    const crc = await fileCrc(entry.file);
    const when = dosTime(stat.mtime);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed: 1.0 (stored)
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(0, 8); // method: stored
    local.writeUInt16LE(when.time, 10);
    local.writeUInt16LE(when.date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stat.size, 18);
    local.writeUInt32LE(stat.size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    await write(out, local);
    await write(out, name);
    let copied = 0;
    let check = 0;
    for await (const chunk of createReadStream(entry.file, { end: Math.max(0, stat.size - 1) })) {
      if (stat.size === 0) break;
      const bytes = chunk as Buffer;
      copied += bytes.length;
      check = crc32(bytes, check);
      await write(out, bytes);
    }
    // The header already went out: a file changed between the two reads cannot be stored honestly.
    if (copied !== stat.size || check !== crc)
      throw new DataError(`${entry.file} changed while it was being archived; export again.`, {
        path: entry.file,
      });

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(0x031e, 4); // made by: Unix, spec 3.0
    header.writeUInt16LE(10, 6);
    header.writeUInt16LE(UTF8_NAMES, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(when.time, 12);
    header.writeUInt16LE(when.date, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(stat.size, 20);
    header.writeUInt32LE(stat.size, 24);
    header.writeUInt16LE(name.length, 28);
    // extra, comment, disk number start, internal attributes: all 0.
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external: a regular file, rw-r--r--
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += 30 + name.length + stat.size;
  }
  const directory = Buffer.concat(central);
  if (entries.length > 0xffff || offset + directory.length >= LIMIT)
    throw new DataError('The archive would hold too many files or pass 4 GiB; export fewer at once.', {});
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  await write(out, directory);
  await write(out, end);
  return offset + directory.length + end.length;
}

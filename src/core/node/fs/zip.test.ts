import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSystemTool } from '../testing/systemTools';
import { crc32, writeZip } from './zip';

/** Reads an archive back with Python's zipfile: each member's name, size and a check of its CRC (null without python3). */
function readBack(archive: string): Array<{ name: string; size: number; sha: string }> | null {
  const script = [
    'import hashlib, json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'bad = z.testzip()',
    'assert bad is None, bad',
    'print(json.dumps([{"name": i.filename, "size": i.file_size, "sha": hashlib.sha256(z.read(i)).hexdigest(), "method": i.compress_type} for i in z.infolist()]))',
  ].join('\n');
  const out = runSystemTool('python3', ['-c', script, archive]);
  return out === null ? null : (JSON.parse(out) as Array<{ name: string; size: number; sha: string }>);
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('writeZip', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-zip-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    // In pieces, as a stream is read.
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes.subarray(4), crc32(bytes.subarray(0, 4)))).toBe(0xcbf43926);
  });

  it('writes an archive that zipfile and unzip read back byte for byte, large files and odd names included', async (ctx) => {
    // Larger than a read stream's chunk, so the copy spans many chunks.
    const big = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const files = {
      big: path.join(dir, 'big.wav'),
      small: path.join(dir, 'small.mid'),
      empty: path.join(dir, 'empty.json'),
    };
    writeFileSync(files.big, big);
    writeFileSync(files.small, 'MThd');
    writeFileSync(files.empty, '');
    const archive = path.join(dir, 'out.zip');
    const out = createWriteStream(archive);
    const bytes = await writeZip(
      [
        { file: files.big, name: 'Étude Op. 10/Étude (raw).wav' },
        { file: files.small, name: 'Étude Op. 10/Étude.mid' },
        { file: files.empty, name: 'evaluations/report.json' },
      ],
      out,
    );
    out.end();
    await once(out, 'close');
    expect(readFileSync(archive).length).toBe(bytes);
    const members = readBack(archive);
    const listing = runSystemTool('unzip', ['-t', archive]);
    if (members === null || listing === null) return ctx.skip();
    expect(listing).toContain('No errors detected');
    expect(members.map((m) => [m.name, m.size])).toEqual([
      ['Étude Op. 10/Étude (raw).wav', big.length],
      ['Étude Op. 10/Étude.mid', 4],
      ['evaluations/report.json', 0],
    ]);
    expect(members[0]!.sha).toBe(sha(big));
    expect(members.every((m) => (m as unknown as { method: number }).method === 0)).toBe(true);
  });

  it('refuses a name twice, naming it', async () => {
    const f = path.join(dir, 'a.mid');
    writeFileSync(f, 'x');
    const out = createWriteStream(path.join(dir, 'dup.zip'));
    await expect(
      writeZip(
        [
          { file: f, name: 'a.mid' },
          { file: f, name: 'a.mid' },
        ],
        out,
      ),
    ).rejects.toThrow('Two files would be stored as a.mid in the archive.');
    out.end();
  });
});

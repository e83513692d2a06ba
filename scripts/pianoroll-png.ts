/**
 * Draws piano rolls of MIDI files as one PNG, one roll under the other (the first `--seconds`
 * of each), so a generated piece can be looked at beside a real one. Usage:
 *   npx tsx scripts/pianoroll-png.ts out.png a.mid b.mid ... [--seconds 30]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { tempoMapOf } from '../src/core/common/song/tempo';
import { parseMidi } from '../src/core/common/midi/read';

const args = process.argv.slice(2);
const si = args.indexOf('--seconds');
const seconds = si >= 0 ? Number(args.splice(si, 2)[1]) : 30;
const [out, ...files] = args;
const W = 1200;
const ROW = 2; // pixels per semitone
const LO = 21;
const HI = 108;
const H1 = (HI - LO + 1) * ROW;
const GAP = 6;
const H = files.length * (H1 + GAP);
const px = new Uint8Array(W * H * 3).fill(250);
const set = (x: number, y: number, c: [number, number, number]): void => {
  if (x < 0 || y < 0 || x >= W || y >= H) return;
  px.set(c, (y * W + x) * 3);
};
files.forEach((file, k) => {
  const song = parseMidi(readFileSync(file!), { sustain: false }).song;
  const map = tempoMapOf(song);
  const top = k * (H1 + GAP);
  for (let p = LO; p <= HI; p++) if (p % 12 === 0) for (let x = 0; x < W; x++) set(x, top + (HI - p) * ROW, [220, 220, 230]);
  for (let x = 0; x < W; x++) set(x, top + (HI - 60) * ROW, [180, 180, 200]);
  for (const n of song.notes) {
    const t0 = map.toSeconds(n.startTicks);
    const t1 = map.toSeconds(n.endTicks);
    if (t0 > seconds) continue;
    const x0 = Math.floor((t0 / seconds) * W);
    const x1 = Math.max(x0 + 1, Math.floor((Math.min(t1, seconds) / seconds) * W));
    const y = top + (HI - Math.min(HI, Math.max(LO, n.pitch))) * ROW;
    const c: [number, number, number] = n.pitch < 60 ? [40, 90, 180] : [200, 60, 40];
    for (let x = x0; x < x1; x++) for (let dy = 0; dy < ROW; dy++) set(x, y + dy, c);
  }
  for (let x = 0; x < W; x++) for (let dy = 0; dy < GAP; dy++) set(x, top + H1 + dy, [60, 60, 60]);
});
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (b: Uint8Array): number => {
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Uint8Array): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(data)]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};
const raw = Buffer.alloc(H * (W * 3 + 1));
for (let y = 0; y < H; y++) {
  raw[y * (W * 3 + 1)] = 0;
  Buffer.from(px.buffer, y * W * 3, W * 3).copy(raw, y * (W * 3 + 1) + 1);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(W, 0);
ihdr.writeUInt32BE(H, 4);
ihdr[8] = 8;
ihdr[9] = 2;
writeFileSync(out!, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]));
console.log(`wrote ${out}: ${files.length} rolls, first ${seconds} s each`);

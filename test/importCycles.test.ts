import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations.
import { importCycles } from '../scripts/import-cycles.mjs';

const cyclesIn = (dir: string): string[][] => importCycles([dir]) as string[][];

describe('import cycles', () => {
  it('finds none in src', () => {
    expect(cyclesIn(path.join(import.meta.dirname, '..', 'src'))).toEqual([]);
  });

  it('finds a cycle of type imports, as the render pool and its worker once had', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-cycles-'));
    try {
      mkdirSync(path.join(dir, 'render'));
      writeFileSync(path.join(dir, 'render', 'pool.ts'), "import type { Data } from './worker';\nexport type Reply = Data;\n");
      writeFileSync(path.join(dir, 'render', 'worker.ts'), "import type { Reply } from './pool';\nexport type Data = { reply?: Reply };\n");
      writeFileSync(path.join(dir, 'render', 'alone.ts'), "import type { Data } from './worker';\nexport const x: Data = {};\n");
      expect(cyclesIn(dir).map((c) => c.map((f) => path.basename(f)))).toEqual([['pool.ts', 'worker.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

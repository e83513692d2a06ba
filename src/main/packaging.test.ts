import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../core/node/paths';

describe('electron-builder.yml', () => {
  it('flips the Electron fuses that would let the packaged app run other code', () => {
    // The block's indented "key: true|false" lines (no YAML parser is a dependency of the project).
    const text = readFileSync(path.join(projectRoot(), 'electron-builder.yml'), 'utf8');
    const block = /^electronFuses:\n((?:[ ]+\w+: (?:true|false)\n)+)/m.exec(text)?.[1] ?? '';
    const fuses = Object.fromEntries([...block.matchAll(/(\w+): (true|false)/g)].map((m) => [m[1], m[2] === 'true']));
    expect(fuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});

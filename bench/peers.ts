/**
 * The PyTorch peers of `../shared/peers/`, run in the same benchmark run as our figures (these
 * machines drift by up to 1.5x from minute to minute, so only side-by-side ratios mean something).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's python3 (python3-torch installs for it, not for a pyenv python). */
const PYTHON = '/usr/bin/python3';

/** The peers folder beside the checkout, or undefined. */
export function peersDir(): string | undefined {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'peers');
  return existsSync(dir) ? dir : undefined;
}

/** Why the PyTorch peer cannot run here, or undefined when it can. */
export function torchMissing(): string | undefined {
  if (!peersDir()) return '../shared/peers is not beside this checkout';
  if (!existsSync(PYTHON)) return `${PYTHON} is absent`;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'PyTorch is not installed (apt-get install python3-torch)';
}

/**
 * Runs `script` (in the peers folder) with `env` added and returns its last line of JSON; the peer
 * gets the same niceness as this process, since it inherits it.
 */
export function runPeer(script: string, env: Record<string, string>): Record<string, unknown> {
  const dir = peersDir();
  if (!dir) throw new Error('../shared/peers is not beside this checkout');
  const r = spawnSync(PYTHON, [path.join(dir, script)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 16 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

/**
 * System tools some tests read our output back with (`unzip`, `python3`'s zipfile): an
 * independent reader checks a writer better than our own could. CI installs them (`.ci/run`); on
 * a user's machine without one, the check is skipped with a visible message instead of failing.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const present = new Map<string, boolean>();

/** True when `tool` runs here. Absent in CI: throws (CI must have it); elsewhere: warns once. */
export function systemToolOrSkip(tool: string): boolean {
  let ok = present.get(tool);
  if (ok === undefined) {
    const probe = spawnSync(tool, tool === 'unzip' ? ['-v'] : ['--version'], { stdio: 'ignore' });
    ok = probe.error === undefined;
    present.set(tool, ok);
    if (!ok) {
      if (process.env.CI === 'true') throw new Error(`${tool} is missing; CI must have it (.ci/run installs it).`);
      console.warn(`[cadenza tests] skipping the checks that read output back with ${tool}: it is not installed here.`);
    }
  }
  return ok;
}

/** `tool args` and its output, or null (with the warning above) when the tool is not installed. */
export function runSystemTool(tool: string, args: readonly string[], input?: Uint8Array): string | null {
  if (!systemToolOrSkip(tool)) return null;
  return execFileSync(tool, args, { encoding: 'utf8', ...(input ? { input } : {}) });
}

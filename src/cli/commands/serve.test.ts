import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../core/node/paths';

const bin = path.join(projectRoot(), 'bin', 'cadenza.mjs');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cadenza-serve-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs `cadenza serve …`, answering its first stdout line (or null), its stderr and its exit code after `stop()`. */
function serve(args: string[]) {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const firstOutput = new Promise<string | null>((resolve) => {
    child.stdout.on('data', () => stdout.includes('}') && resolve(stdout));
    void exited.then(() => resolve(null));
  });
  return { firstOutput, exited, stop: () => child.kill('SIGTERM'), err: () => stderr };
}

describe('cadenza serve', () => {
  it('prints its URL as JSON, serves with the token, and stops cleanly on SIGTERM', async () => {
    const run = serve(['--port', '0', '--data-dir', dataDir, '--json']);
    const out = await run.firstOutput;
    expect(out, run.err()).not.toBeNull();
    const { url, port, dataDir: shown } = JSON.parse(out!) as { url: string; port: number; dataDir: string };
    expect(shown).toBe(dataDir);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[\\w-]{43}$`));
    expect((await fetch(url.replace(/\?token=.*/, ''))).status).toBe(401);
    expect([200, 503]).toContain((await fetch(url)).status);
    run.stop();
    expect(await run.exited).toBe(0);
  });

  it('stops within 5 s on SIGTERM while a 50 MB download is stalled', async () => {
    mkdirSync(path.join(dataDir, 'renders'), { recursive: true });
    const big = path.join(dataDir, 'renders', 'big.wav');
    writeFileSync(big, Buffer.alloc(50 * 1024 * 1024, 1));
    const run = serve(['--port', '0', '--data-dir', dataDir, '--json']);
    const out = await run.firstOutput;
    expect(out, run.err()).not.toBeNull();
    const { port, url } = JSON.parse(out!) as { url: string; port: number };
    const token = new URL(url).searchParams.get('token')!;
    // Read the headers, then never the body: the server's writes stall on a full socket.
    const stalled = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/files?path=${encodeURIComponent(big)}&token=${token}` }, resolve);
      req.on('error', reject);
      req.end();
    });
    stalled.pause();
    stalled.on('error', () => {});
    expect(stalled.statusCode).toBe(200);
    const t0 = Date.now();
    run.stop();
    expect(await run.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    stalled.destroy();
  }, 30_000);

  it('exits at once on a second signal', async () => {
    const run = serve(['--port', '0', '--data-dir', dataDir, '--json']);
    expect(await run.firstOutput, run.err()).not.toBeNull();
    const t0 = Date.now();
    run.stop();
    setTimeout(run.stop, 50);
    // 0 when the first shutdown finished already, 143 (or death by the signal) when the second cut it short.
    expect([0, 143, -1]).toContain(await run.exited);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('exits 2 with one sentence for a bad port or host', async () => {
    const bad = serve(['--port', '70000', '--data-dir', dataDir]);
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toContain('--port must be a whole number from 0 to 65535, not "70000".');
    const host = serve(['--host', 'a b', '--data-dir', dataDir]);
    expect(await host.exited).toBe(2);
    expect(host.err()).toContain('--host must be an address or host name');
  });
});

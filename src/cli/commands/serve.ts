/**
 * `cadenza serve`: browser mode. Serves the built UI and the app's api over a WebSocket on
 * 127.0.0.1 (or `--host`), prints the URL with its access token, and runs until interrupted.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { UsageError } from '../../core/common/errors';
import { dataDir as appDataDir } from '../../core/node/paths';
import { startServer } from '../../server/server';
import { printResult, type GlobalOptions } from '../output';
import { numberOption } from '../options';

/** Longest a shutdown may take after SIGINT or SIGTERM, in milliseconds. */
const SHUTDOWN_MS = 4_000;

interface ServeFlags extends GlobalOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  allow?: string[];
  open?: boolean;
}

/** Opens `url` in the user's browser where one exists; answers false when none could be started. */
export function openInBrowser(url: string): Promise<boolean> {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

/** Adds `serve` to the program. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the app in a browser: serve the UI and its backend on this machine (127.0.0.1 unless --host).')
    .option('--port <n>', 'port to listen on (0 = any free port)', '5170')
    .option('--host <address>', 'interface to bind; use 0.0.0.0 to expose it on purpose (the token is still required)', '127.0.0.1')
    .option('--data-dir <dir>', 'data folder (default: the app’s, or CADENZA_DATA_DIR)')
    .option('--allow <dir...>', 'folders besides the data folder the UI may read (e.g. a MIDI collection to import)')
    .option('--open', 'open the URL in a browser')
    .option('--json', 'print {url, port, dataDir} as JSON once listening')
    .addHelpText('after', '\nExample:\n  cadenza serve --open --allow ~/Music/midi\n')
    .action(async (flags: ServeFlags) => {
      const port = numberOption('--port', flags.port, { min: 0, max: 65535, integer: true }) ?? 5170;
      const host = flags.host ?? '127.0.0.1';
      if (!/^[\w.:[\]-]+$/.test(host)) throw new UsageError(`--host must be an address or host name, not "${host}".`, { field: '--host' });
      const dataDir = flags.dataDir ?? appDataDir();
      const server = await startServer({ dataDir, host, port, allowDirs: flags.allow ?? [] });
      printResult(flags, { url: server.url, port: server.port, dataDir }, (v) =>
        [`Cadenza is running at ${v.url}`, `Data folder: ${v.dataDir}`, 'Press Ctrl+C to stop.'].join('\n'),
      );
      if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1' && !flags.json)
        process.stderr.write(`cadenza: listening on ${host}: anyone who can reach this machine and knows the URL's token can use it.\n`);
      if (flags.open && !(await openInBrowser(server.url)) && !flags.json)
        process.stderr.write('cadenza: no browser could be opened here; open the URL above yourself.\n');
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          // A second signal means now: exit at once, as a signal would.
          const now = (signal: NodeJS.Signals): void => process.exit(signal === 'SIGINT' ? 130 : 143);
          process.once('SIGINT', now);
          process.once('SIGTERM', now);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      // Within SHUTDOWN_MS: jobs are cancelled (and their workers terminated when they do not stop), sockets closed.
      const deadline = setTimeout(() => {
        process.stderr.write(`cadenza: the server did not stop within ${SHUTDOWN_MS / 1000} s; exiting anyway.\n`);
        process.exit(1);
      }, SHUTDOWN_MS);
      deadline.unref();
      await server.close({ graceMs: SHUTDOWN_MS / 2 });
      clearTimeout(deadline);
    });
}

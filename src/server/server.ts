/**
 * Browser mode (`cadenza serve`): serves the built renderer and the same api as the desktop app
 * over a WebSocket. Bound to 127.0.0.1 unless `host` says otherwise. Every HTTP request and the
 * WebSocket must carry the per-run token (`?token=`, or the cookie the page gets with it); the
 * WebSocket's Origin must be the server's own; messages are size-limited and validated; files
 * are served only from the data folder and the folders the user allowed.
 */
import { contentSecurityPolicy } from '../api/csp';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { existsSync, promises as fs } from 'node:fs';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { ApiError, serializeError } from '../core/common/errors';
import { openAppBackend, type AppBackend } from '../app/backend';
import { projectRoot } from '../core/node/paths';
import type { ApiHandlers } from '../api/contract';
import { createDispatcher } from '../api/dispatch';
import { API_PATH, clientMessageSchema, EXPORT_ZIP_PATH, FILES_PATH, MAX_MESSAGE_BYTES, type ServerMessage } from '../api/protocol';
import { exportEntries } from '../app/exportAll';
import { writeZip, type ZipEntry } from '../core/node/fs/zip';
import type { JobEvent } from '../api/schemas';
import { newToken, tokenMatches, tokenOf } from './auth';
import { sendFile, sendText } from './static';
import { confinedFile } from '../core/node/fs/confined';

/** How to start the server. */
export interface ServeOptions {
  dataDir: string;
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** The built renderer (default: `<project>/out/renderer`). */
  rendererDir?: string;
  /** Folders besides the data folder the UI may read (e.g. a MIDI collection to import). */
  allowDirs?: string[];
  /** The access token (default: a fresh random one). */
  token?: string;
  /** Job worker entry (default: the TypeScript entry, through tsx). */
  workerEntry?: string | URL;
  /** Progress events per job at most every this many milliseconds (default 100). */
  throttleMs?: number;
}

/** A running server. */
export interface RunningServer {
  /** The URL to open, token included. */
  url: string;
  /** `http://host:port`, the only Origin the WebSocket accepts besides loopback aliases. */
  origin: string;
  port: number;
  token: string;
  backend: AppBackend;
  /** Stops accepting, closes sockets, cancels jobs (a job still running `graceMs` after its cancel is terminated). */
  close(options?: { graceMs?: number }): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);


/** `Content-Disposition` for a download named `name` (ASCII fallback plus the UTF-8 name). */
function attachment(name: string, disposition: 'inline' | 'attachment'): string {
  const safe = name.replace(/["\\\r\n/]/g, '_');
  const ascii = safe.replace(/[^\x20-\x7e]/g, '_');
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(safe).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** Streams the archive of `entries` as the response: a file at a time, never the whole archive in memory. */
async function sendZip(res: ServerResponse, entries: ZipEntry[], name: string, headers: Record<string, string>): Promise<void> {
  res.writeHead(200, { ...headers, 'Content-Type': 'application/zip', 'Content-Disposition': attachment(name.endsWith('.zip') ? name : `${name}.zip`, 'attachment') });
  // A client that goes away ends the copy at the next chunk.
  const closed = new AbortController();
  res.on('close', () => closed.abort());
  try {
    await writeZip(entries, res, closed.signal);
    res.end();
  } catch {
    // The status line has gone out: all that is left is to cut the download short, which the browser reports as failed.
    res.destroy();
  }
}

/** Starts the server and its backend; resolves once it listens. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const bindHost = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const rendererDir = path.resolve(options.rendererDir ?? path.join(projectRoot(), 'out', 'renderer'));
  const loopbackOnly = LOOPBACK.has(bindHost);
  let port = 0;

  const backend = await openAppBackend({
    dataDir: options.dataDir,
    mode: 'browser',
    allowDirs: options.allowDirs,
    workerEntry: options.workerEntry,
    throttleMs: options.throttleMs,
    mediaUrl: (file) => `${FILES_PATH}?path=${encodeURIComponent(file)}&token=${encodeURIComponent(token)}`,
    exportArchiveUrl: (name) => `${EXPORT_ZIP_PATH}?name=${encodeURIComponent(name)}&token=${encodeURIComponent(token)}`,
  });
  // The compile-time check that the handlers implement the whole contract.
  const handlers: ApiHandlers = backend.handlers;
  const dispatch = createDispatcher(handlers);

  /** Host header check: against DNS rebinding, a loopback server answers only to loopback names. */
  const hostAllowed = (hostHeader: string | undefined): boolean => {
    if (!hostHeader) return false;
    if (!loopbackOnly) return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
    return !!m && LOOPBACK.has(m[1]!) && Number(m[2] ?? 80) === port;
  };

  const commonHeaders = (host: string): Record<string, string> => ({
    'Content-Security-Policy': contentSecurityPolicy([`ws://${host}`]),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });

  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host;
    if (!hostAllowed(host)) return sendText(res, 403, 'This server answers only to its own address.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Only GET and HEAD are served.');
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (!tokenMatches(tokenOf(url, req.headers.cookie), token)) return sendText(res, 401, 'Open the URL that `cadenza serve` printed: it carries the access token.');
    const headers = commonHeaders(host!);
    if (url.pathname === FILES_PATH) {
      try {
        const file = await backend.guard.readable(url.searchParams.get('path') ?? '');
        if ((await fs.stat(file)).isDirectory()) return sendText(res, 400, 'That path is a folder.');
        // `name` (Export's name for the take) is only the suggested file name: the path is what is read.
        const name = (url.searchParams.get('name') || path.basename(file)).replace(/["\\\r\n/]/g, '_');
        const ascii = name.replace(/[^\x20-\x7e]/g, '_');
        return sendFile(req, res, file, {
          ...headers,
          'Content-Disposition': `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
        });
      } catch (error) {
        return sendText(res, 403, serializeError(error).message);
      }
    }
    if (url.pathname === EXPORT_ZIP_PATH) {
      const entries = await exportEntries(backend.guard.dataDir).catch(() => []);
      if (entries.length === 0) return sendText(res, 404, 'There is nothing to export yet: generate or render a piece first.');
      return sendZip(res, entries, url.searchParams.get('name') || 'Cadenza export.zip', headers);
    }
    if (!existsSync(path.join(rendererDir, 'index.html')))
      return sendText(res, 503, `The UI is not built (${rendererDir} has no index.html); run \`npm run build\` and start again.`);
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    // Real paths are compared, so a link in the UI folder that points elsewhere is not followed out.
    const file = await confinedFile(rendererDir, rel);
    if (!file) return sendText(res, 404, 'Not found.');
    if (rel === 'index.html') {
      // The page's own requests (scripts, styles) carry the token as a cookie: strict, HttpOnly, this path only.
      headers['Set-Cookie'] = `cadenza_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    }
    return sendFile(req, res, file, headers);
  };

  const server: Server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, serializeError(error).message);
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const refuse = (socket: Duplex, status: number, text: string): void => {
    socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
    socket.destroy();
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const host = req.headers.host;
    if (!hostAllowed(host)) return refuse(socket, 403, 'Forbidden');
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname !== API_PATH) return refuse(socket, 404, 'Not Found');
    if (!tokenMatches(tokenOf(url, req.headers.cookie), token)) return refuse(socket, 401, 'Unauthorized');
    // Browsers always send Origin on WebSockets; only pages served by this server may connect.
    if (req.headers.origin !== `http://${host}`) return refuse(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const send = (msg: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const off = backend.jobs.onEvent((event) => {
      // A slow client loses progress ticks, never job state changes.
      if (event.type === 'progress' && ws.bufferedAmount > 4 * 1024 * 1024) return;
      send({ type: 'event', event: event as JobEvent });
    });
    ws.on('close', off);
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return send({ type: 'error', error: serializeError(new ApiError('Messages must be JSON text, not binary.')) });
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        return send({ type: 'error', error: serializeError(new ApiError('A message was not valid JSON.')) });
      }
      const msg = clientMessageSchema.safeParse(raw);
      if (!msg.success) {
        const id = (raw as { id?: unknown } | null)?.id;
        const error = serializeError(new ApiError('A message was not a call of the form {type: "call", id, method, params}.'));
        return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? send({ type: 'result', id, ok: false, error }) : send({ type: 'error', error });
      }
      const { id, method, params } = msg.data;
      dispatch(method, params).then(
        (value) => send({ type: 'result', id, ok: true, value }),
        (error: unknown) => send({ type: 'result', id, ok: false, error: serializeError(error) }),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: NodeJS.ErrnoException) => {
    await backend.close();
    const why = error.code === 'EADDRINUSE' ? 'the port is in use (choose another with --port, or 0 for any free one)' : error.code === 'EACCES' ? 'permission was denied' : error.message;
    throw new ApiError(`Could not listen on ${bindHost}:${options.port ?? 0}: ${why}.`, { field: '--port' });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  const origin = `http://${shownHost}:${port}`;

  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    origin,
    port,
    token,
    backend,
    close: async (o = {}) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      // Sockets go first: server.close() waits for every connection, and a stalled download never ends.
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await Promise.all([stopped, backend.close(o)]);
    },
  };
}

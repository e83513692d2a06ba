/**
 * Browser mode's client: the typed `Api` over a WebSocket to `cadenza serve`. Pure TypeScript
 * (the standard WebSocket interface): the renderer uses the browser's, tests pass `ws`'s.
 */
import { ApiError, deserializeError } from '../core/common/errors';
import { createApiClient } from './client';
import type { Api, ApiMethod } from './contract';
import type { ServerMessage } from './protocol';
import type { JobEvent } from './schemas';

/** The parts of the WebSocket interface the client uses (browsers' and `ws`'s both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: { data?: unknown }) => void): void;
}

/** A connected client: the api, and how to close it. */
export interface WsConnection {
  api: Api;
  /** Closes the socket; pending calls reject. */
  close(): void;
  /** Resolves when the socket has closed (by either side). */
  closed: Promise<void>;
}

/** Options for `connectWebSocket`. */
export interface ConnectOptions {
  /** Builds the socket (default: the global `WebSocket`). */
  create?: (url: string) => WebSocketLike;
  /** Rejects calls that get no answer within this many milliseconds (0 = never; default 0, jobs answer at once anyway). */
  callTimeoutMs?: number;
}

const OPEN = 1;

/** Opens `url` (e.g. `ws://127.0.0.1:5170/api?token=…`) and resolves once connected. */
export function connectWebSocket(url: string, options: ConnectOptions = {}): Promise<WsConnection> {
  const create =
    options.create ??
    ((u: string) => {
      const Ctor = (globalThis as { WebSocket?: new (u: string) => WebSocketLike }).WebSocket;
      if (!Ctor) throw new ApiError('This environment has no WebSocket; pass one to connectWebSocket.');
      return new Ctor(u);
    });
  const socket = create(url);
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void; timer?: ReturnType<typeof setTimeout> }>();
  const listeners = new Set<(event: JobEvent) => void>();
  let nextId = 1;
  let closedReason: ApiError | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));

  socket.addEventListener('message', (e) => {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(String(e.data)) as ServerMessage;
    } catch {
      return;
    }
    if (msg.type === 'event') {
      for (const l of listeners) l(msg.event);
    } else if (msg.type === 'result') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (p.timer) clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(deserializeError(msg.error));
    }
  });
  socket.addEventListener('close', () => {
    closedReason = new ApiError('The connection to the Cadenza backend is closed.');
    for (const p of pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(closedReason);
    }
    pending.clear();
    resolveClosed();
  });

  const invoke = (method: ApiMethod, params: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (closedReason || socket.readyState !== OPEN) {
        reject(closedReason ?? new ApiError('The connection to the Cadenza backend is not open.'));
        return;
      }
      const id = nextId++;
      const entry: { resolve(v: unknown): void; reject(e: unknown): void; timer?: ReturnType<typeof setTimeout> } = { resolve, reject };
      if (options.callTimeoutMs) {
        entry.timer = setTimeout(() => {
          pending.delete(id);
          reject(new ApiError(`The backend did not answer ${method} within ${options.callTimeoutMs} ms.`));
        }, options.callTimeoutMs);
      }
      pending.set(id, entry);
      socket.send(JSON.stringify({ type: 'call', id, method, params }));
    });

  const api = createApiClient({
    invoke,
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });

  return new Promise((resolve, reject) => {
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      resolve({ api, close: () => socket.close(1000, 'client closed'), closed });
    });
    const fail = () => {
      if (!opened) reject(new ApiError(`Could not connect to the Cadenza backend at ${url.replace(/token=[^&]*/, 'token=…')}.`));
    };
    socket.addEventListener('error', fail);
    socket.addEventListener('close', fail);
  });
}

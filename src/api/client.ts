/**
 * The UI side of the contract: turns a transport (Electron's preload bridge or a WebSocket)
 * into the typed `Api` object. Pure TypeScript, no Node APIs: the renderer imports it.
 */
import { deserializeError, type SerializedError } from '../core/common/errors';
import { contract, type Api, type ApiMethod, type Namespace } from './contract';
import type { JobEvent } from './schemas';

/** How a call's answer crosses a boundary that cannot carry typed errors (IPC, contextBridge). */
export type Envelope = { ok: true; value: unknown } | { ok: false; error: SerializedError };

/** Moves calls and events; `invoke` rejects with a typed `CadenzaError` on failure. */
export interface Transport {
  invoke(method: ApiMethod, params: unknown): Promise<unknown>;
  onEvent(listener: (event: JobEvent) => void): () => void;
}

/** Builds the typed `Api` over a transport: `api.corpus.list({limit: 10})` → `transport.invoke('corpus.list', …)`. */
export function createApiClient(transport: Transport): Api {
  const api: Record<string, unknown> = {};
  for (const ns of Object.keys(contract) as Namespace[]) {
    const group: Record<string, (input?: unknown) => Promise<unknown>> = {};
    for (const m of Object.keys(contract[ns])) {
      const method = `${ns}.${m}` as ApiMethod;
      group[m] = (input?: unknown) => transport.invoke(method, input ?? {});
    }
    api[ns] = group;
  }
  api.onEvent = (listener: (event: JobEvent) => void) => transport.onEvent(listener);
  return api as Api;
}

/** Unwraps an envelope: the value, or the typed error rebuilt and thrown. */
export function unwrapEnvelope(envelope: Envelope): unknown {
  if (envelope.ok) return envelope.value;
  throw deserializeError(envelope.error);
}

/**
 * What Electron's preload exposes as `window.cadenza`: the contract's operations, each answering
 * an `Envelope` (contextBridge cannot carry typed errors, so they travel as data), plus event
 * subscription and the path of a dropped file. `apiFromBridge` turns it into the typed `Api`.
 */
import type { Contract, Namespace } from './contract';
import { createApiClient, unwrapEnvelope, type Envelope } from './client';
import type { Api, ApiMethod } from './contract';
import type { MenuCommand } from './methods';
import type { JobEvent } from './schemas';

/** `window.cadenza` in Electron, derived from the contract: same namespaces and methods. */
export type CadenzaBridge = {
  [N in Namespace]: { [M in keyof Contract[N]]: (input?: unknown) => Promise<Envelope> };
} & {
  /** Listens to job events; returns the function that stops listening. */
  onEvent(listener: (event: JobEvent) => void): () => void;
  /** Listens to application-menu commands (Import…, Export…); returns the function that stops listening. */
  onMenu(listener: (command: MenuCommand) => void): () => void;
  /** The file-system path of a dropped or picked `File` ('' for files not from disk); the backend may then read it. */
  pathForFile(file: File): Promise<string>;
  /** `process.platform` of the app. */
  platform: string;
};

/** The typed `Api` over Electron's preload bridge. */
export function apiFromBridge(bridge: CadenzaBridge): Api {
  return createApiClient({
    invoke: async (method: ApiMethod, params: unknown) => {
      const [ns, m] = method.split('.') as [Namespace, string];
      const fn = (bridge[ns] as Record<string, (input?: unknown) => Promise<Envelope>>)[m]!;
      return unwrapEnvelope(await fn(params));
    },
    onEvent: (listener) => bridge.onEvent(listener),
  });
}

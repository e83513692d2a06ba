/**
 * The backend side of the contract: checks a request against its schema, calls the handler,
 * checks the answer, and turns failures into typed errors. Electron's IPC handlers and the
 * browser-mode WebSocket server both call one dispatcher, so both validate the same way.
 */
import type { z } from 'zod';
import { ApiError } from '../core/common/errors';
import { issueSentence } from './issueWords';
import { contract, operation, type ApiHandlers, type ApiMethod, type Namespace } from './contract';

/** Calls a method by name with untrusted params; rejects with a `CadenzaError`. */
export type Dispatch = (method: string, params: unknown) => Promise<unknown>;

/**
 * Turns zod issues into one sentence naming the field in the app's words, e.g. `The number of
 * pieces must be at least 1.`; the field's name and every issue travel as `field` and `detail`.
 */
export function describeIssues(method: string, error: z.ZodError): ApiError {
  const issue = error.issues[0]!;
  const unknownKey = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys[0] : undefined;
  const field = unknownKey ?? issue.path.map(String).join('.');
  return new ApiError(issueSentence(issue), {
    field: field || undefined,
    detail: {
      method,
      issues: error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code })),
    },
  });
}

/** Builds the dispatcher over a handler object that implements the whole contract. */
export function createDispatcher(
  handlers: ApiHandlers,
  options: { validateOutput?: boolean } = {},
): Dispatch {
  const validateOutput = options.validateOutput ?? true;
  return async (method, params) => {
    if (typeof method !== 'string')
      throw new ApiError('A request must name its operation as text.', { field: 'method' });
    const op = operation(method);
    if (!op)
      throw new ApiError(`There is no operation named "${method.slice(0, 100)}".`, { field: 'method' });
    // Requests without fields may come as undefined or null from clients that omit them.
    const parsed = op.input.safeParse(params ?? {});
    if (!parsed.success) throw describeIssues(method, parsed.error);
    const [ns, m] = method.split('.') as [Namespace, string];
    const group = handlers[ns] as Record<string, (input: unknown) => Promise<unknown>>;
    const handler = group[m];
    if (typeof handler !== 'function')
      throw new ApiError(`The operation ${method} is not implemented by this backend.`, { field: 'method' });
    const value = await handler.call(group, parsed.data);
    if (!validateOutput) return value;
    const out = op.output.safeParse(value);
    if (!out.success) {
      const issue = out.error.issues[0]!;
      throw new ApiError(
        `The backend answered ${method} with data that does not fit the contract (${issue.path.map(String).join('.') || 'value'}: ${issue.message.replace(/\.$/, '')}).`,
        { detail: out.error.issues.slice(0, 5) },
      );
    }
    return out.data;
  };
}

/** True when `method` names an operation of the contract. */
export function isApiMethod(method: string): method is ApiMethod {
  return operation(method) !== undefined;
}

/** The contract, re-exported for callers that only import the dispatcher. */
export { contract };

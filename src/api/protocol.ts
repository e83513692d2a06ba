/**
 * Browser mode's wire protocol over one WebSocket (`/api?token=…`): the page sends calls, the
 * server answers each by id and pushes job events. JSON text frames only.
 */
import { z } from 'zod';
import type { SerializedError } from '../core/common/errors';
import type { JobEvent } from './schemas';

/** A call from the page. `id` pairs it with its answer. */
export const clientMessageSchema = z.strictObject({
  type: z.literal('call'),
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  method: z.string().min(1).max(100),
  params: z.unknown().optional(),
});
/** A call from the page. */
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** What the server sends: an answer, an event, or a complaint about a message it could not read. */
export type ServerMessage =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: SerializedError }
  | { type: 'event'; event: JobEvent }
  | { type: 'error'; error: SerializedError };

/** The WebSocket path on the server. */
export const API_PATH = '/api';
/** The HTTP path that serves confined files (`/files?path=…&token=…`). */
export const FILES_PATH = '/files';
/** The HTTP path that streams "Export all" as one ZIP (`/export.zip?name=…&token=…`; browser mode). */
export const EXPORT_ZIP_PATH = '/export.zip';
/** Largest message the server accepts, in bytes (uploads of MIDI files fit well within it). */
export const MAX_MESSAGE_BYTES = 24 * 1024 * 1024;

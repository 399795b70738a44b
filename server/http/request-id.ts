/** The request id of a response (X-Request-Id): the caller's own (up to 64 characters) or a new UUID. */
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';

/** The id pino-http logs a request under and the app answers in X-Request-Id. */
export function requestIdOf(req: IncomingMessage): string {
  return (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || randomUUID();
}

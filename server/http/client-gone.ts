/** Cancelling work for a client that has gone: its query, its cursor, its render. */
import type { Response } from 'express';

/** An AbortSignal that fires when the client goes away before the response is complete (cancels its query). */
export function clientGone(res: Response): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}

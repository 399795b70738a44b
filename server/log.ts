/** Structured JSON logs (pino). */
import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger at the configured level. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'sdi' } });
}

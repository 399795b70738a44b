/**
 * Structured logs (pino): JSON lines for log collectors, and readable coloured lines (pino-pretty) when stdout is a
 * terminal, so that a person running `npm start` can follow the first start.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger at the configured level; `pretty` defaults to "stdout is a terminal". */
export function createLogger(level: string, pretty = Boolean(process.stdout.isTTY)): Logger {
  const base = { service: 'sdi' };
  if (!pretty || level === 'silent') return pino({ level, base });
  return pino({
    level,
    base,
    transport: {
      target: 'pino-pretty',
      options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' },
    },
  });
}

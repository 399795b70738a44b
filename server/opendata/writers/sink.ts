/** Buffered writing with backpressure, for the streamed download formats. */
import type { Writable } from 'node:stream';
import { ClientGoneError } from '../../errors.ts';

/** Bytes gathered before one write to the socket. */
const chunkBytes = 64 * 1024;

/**
 * Gathers text into ~64 KiB writes and waits for 'drain' through one persistent listener (the compression middleware
 * forwards 'drain' listeners to its gzip stream but not their removal, so a listener per wait would pile up).
 */
export class Sink {
  private parts: string[] = [];
  private size = 0;
  private waiter: (() => void) | null = null;
  private closed = false;

  constructor(private readonly out: Writable) {
    const wake = () => {
      const w = this.waiter;
      this.waiter = null;
      w?.();
    };
    out.on('drain', wake);
    out.once('close', () => {
      this.closed = true;
      wake();
    });
  }

  /** Adds text; writes when a chunk is full. */
  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= chunkBytes) await this.flush();
  }

  /** Writes what is gathered, waiting for the socket when its buffer is full. */
  async flush(): Promise<void> {
    if (!this.parts.length) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (this.closed) throw new ClientGoneError();
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => (this.waiter = resolve));
    if (this.closed && !this.out.writableFinished) throw new ClientGoneError();
  }

  /** Flushes and ends the stream. */
  async end(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}

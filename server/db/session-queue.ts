/**
 * One PGlite session shared by several PostgreSQL wire connections (pglite-socket handlers). PGlite is a single-user
 * backend: each wire message runs on the one session, so messages of different connections must not interleave inside
 * an extended-protocol batch (Parse, Bind, Describe, Execute ... Sync) or inside a transaction block. The queue of
 * pglite-socket only guards transaction blocks; a second connection's Parse between another's Parse and Execute would
 * replace its unnamed statement. This queue gives the session to one connection from its first extended-protocol
 * message until its Sync, and for as long as a transaction block it opened is open.
 */
import type { PGlite } from '@electric-sql/pglite';

/**
 * Message types that open or continue an extended-protocol batch: Parse, Bind, Describe, Execute, Close, Flush (the
 * session stays with the sender until its Sync). COPY FROM STDIN would need the same and is not used by the server.
 */
const batchMessages = new Set([...'PBDECH'].map((c) => c.charCodeAt(0)));

interface Pending {
  handlerId: number;
  message: Uint8Array;
  onData(data: Uint8Array): void;
  resolve(bytes: number): void;
  reject(err: Error): void;
}

/** Receives a NOTIFY for a channel some connection listens on. */
export type NotifySink = (channel: string, payload: string) => void;

/** A handler id no socket connection uses: statements the worker itself runs through the queue. */
const ownId = -1;

/** The query queue a PGLiteSocketHandler runs its messages through (the shape pglite-socket expects). */
export class SessionQueue {
  private queue: Pending[] = [];
  private draining = false;
  /** The connection that holds the session (mid-batch or in a transaction); null when any may go next. */
  private owner: number | null = null;

  /**
   * `onNotify` gets every NotificationResponse of the session. A single-user backend delivers a NOTIFY in the answer of
   * the connection that sent it, never to the connection that ran LISTEN, so the worker forwards them itself.
   */
  constructor(
    private readonly pglite: PGlite,
    private readonly onNotify: NotifySink = () => undefined,
  ) {}

  /** Runs one simple-protocol statement of the worker's own (LISTEN) in turn with the connections' messages. */
  async run(sql: string): Promise<void> {
    const text = Buffer.from(`${sql}\0`);
    const message = Buffer.alloc(5 + text.length);
    message[0] = 0x51; // Query
    message.writeInt32BE(4 + text.length, 1);
    text.copy(message, 5);
    await this.enqueue(ownId, new Uint8Array(message), () => undefined);
  }

  /** Queues one wire message of a connection; resolves with the bytes answered once it ran. */
  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.drain();
    });
  }

  /** Messages waiting to run. */
  getQueueLength(): number {
    return this.queue.length;
  }

  /** Drops the waiting messages of a connection that went away. */
  clearQueueForHandler(handlerId: number): void {
    const mine = this.queue.filter((q) => q.handlerId === handlerId);
    this.queue = this.queue.filter((q) => q.handlerId !== handlerId);
    for (const q of mine) q.reject(new Error('connection closed'));
  }

  /** A connection that went away while holding the session: roll back what it left open and let the others run. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    this.owner = null;
    if (this.pglite.isInTransaction()) await this.pglite.exec('ROLLBACK').catch(() => undefined);
    void this.drain();
  }

  private next(): Pending | undefined {
    if (this.owner === null) return this.queue.shift();
    const i = this.queue.findIndex((q) => q.handlerId === this.owner);
    return i < 0 ? undefined : this.queue.splice(i, 1)[0];
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let q = this.next(); q; q = this.next()) {
        const job = q;
        let bytes = 0;
        const midBatch = batchMessages.has(job.message[0]);
        // PGlite answers an error inside an extended-protocol batch with ErrorResponse and ReadyForQuery at once, and
        // the batch's Sync with a second ReadyForQuery. A client that sends its next query on the first one reads the
        // second as the end of that query, with no rows. PostgreSQL sends ReadyForQuery only for Sync and Query: so do we.
        const scanner = new BackendScanner(this.onNotify, midBatch);
        try {
          await this.pglite.runExclusive(() =>
            this.pglite.execProtocolRawStream(job.message, {
              onRawData: (data) =>
                scanner.feed(data, (part) => {
                  bytes += part.length;
                  job.onData(part);
                }),
            }),
          );
        } catch (err) {
          job.reject(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        this.owner = midBatch || this.pglite.isInTransaction() ? job.handlerId : null;
        job.resolve(bytes);
      }
    } finally {
      this.draining = false;
    }
  }
}

/**
 * Follows the backend messages of one answer as its chunks go by: hands each NotificationResponse to the sink, and
 * passes every message on except a ReadyForQuery that `dropReady` asks to drop. Chunks are views of PGlite's memory,
 * valid only during the callback, and may split a message anywhere: only the 5-byte headers and the bodies of
 * notifications are copied, the rest is forwarded as sub-views of the chunk.
 *
 * Why by hand: no library parses a raw backend stream that arrives in arbitrary chunks and lets some messages through
 * byte for byte; pg-protocol's parser decodes whole messages into objects.
 */
export class BackendScanner {
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  /** Bytes of the current message body still to go by. */
  private remaining = 0;
  /** Whether the current message is passed on (false: dropped). */
  private passing = true;
  private body: Buffer | null = null;
  private bodyFill = 0;

  constructor(
    private readonly sink: NotifySink,
    private readonly dropReady: boolean,
  ) {}

  /** Scans one chunk; `forward` gets the parts to pass on, in order. */
  feed(data: Uint8Array, forward: (part: Uint8Array) => void): void {
    let from = 0; // start of the run of bytes to pass on
    const flush = (to: number): void => {
      if (to > from) forward(data.subarray(from, to));
    };
    for (let at = 0; at < data.length;) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, data.length - at);
        if (this.body) {
          this.body.set(data.subarray(at, at + n), this.bodyFill);
          this.bodyFill += n;
        }
        this.remaining -= n;
        at += n;
        if (this.remaining === 0) this.endMessage();
        if (!this.passing) from = at;
        continue;
      }
      if (this.headerFill === 0) {
        // A message starts here: decide from its type whether it goes on.
        flush(at);
        from = at;
        this.passing = !(this.dropReady && data[at] === 0x5a); // 'Z' ReadyForQuery
      }
      const n = Math.min(5 - this.headerFill, data.length - at);
      this.header.set(data.subarray(at, at + n), this.headerFill);
      this.headerFill += n;
      at += n;
      if (!this.passing) from = at;
      if (this.headerFill < 5) continue;
      this.headerFill = 0;
      this.remaining = this.header.readInt32BE(1) - 4;
      if (this.header[0] === 0x41 && this.remaining > 4) {
        this.body = Buffer.alloc(this.remaining);
        this.bodyFill = 0;
      }
      if (this.remaining === 0) this.endMessage();
    }
    if (this.passing) flush(data.length);
  }

  private endMessage(): void {
    if (this.body) this.emit(this.body);
  }

  /** NotificationResponse body: sender pid (int32), channel, NUL, payload, NUL. */
  private emit(body: Buffer): void {
    this.body = null;
    const nul = body.indexOf(0, 4);
    this.sink(body.toString('utf8', 4, nul), body.toString('utf8', nul + 1, body.length - 1));
  }
}

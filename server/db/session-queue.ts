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
        const notifications = new NotificationScanner(this.onNotify);
        try {
          await this.pglite.runExclusive(() =>
            this.pglite.execProtocolRawStream(job.message, {
              onRawData: (data) => {
                bytes += data.length;
                notifications.feed(data);
                job.onData(data);
              },
            }),
          );
        } catch (err) {
          job.reject(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        const midBatch = batchMessages.has(job.message[0]);
        this.owner = midBatch || this.pglite.isInTransaction() ? job.handlerId : null;
        job.resolve(bytes);
      }
    } finally {
      this.draining = false;
    }
  }
}

/**
 * Follows the backend messages of one answer as its chunks go by and hands each NotificationResponse on. Chunks are
 * views of PGlite's memory, valid only during the callback, and may split a message anywhere: only the 5-byte headers
 * and the bodies of notifications are copied.
 */
class NotificationScanner {
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  /** Bytes of the current (uninteresting) message body still to pass over. */
  private skip = 0;
  private body: Buffer | null = null;
  private bodyFill = 0;

  constructor(private readonly sink: NotifySink) {}

  feed(data: Uint8Array): void {
    for (let at = 0; at < data.length;) {
      if (this.body) {
        const n = Math.min(this.body.length - this.bodyFill, data.length - at);
        this.body.set(data.subarray(at, at + n), this.bodyFill);
        this.bodyFill += n;
        at += n;
        if (this.bodyFill === this.body.length) this.emit(this.body);
      } else if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - at);
        this.skip -= n;
        at += n;
      } else {
        const n = Math.min(5 - this.headerFill, data.length - at);
        this.header.set(data.subarray(at, at + n), this.headerFill);
        this.headerFill += n;
        at += n;
        if (this.headerFill < 5) continue;
        this.headerFill = 0;
        const length = this.header.readInt32BE(1) - 4;
        if (this.header[0] === 0x41 && length > 4) {
          this.body = Buffer.alloc(length);
          this.bodyFill = 0;
        } else {
          this.skip = length;
        }
      }
    }
  }

  /** NotificationResponse body: sender pid (int32), channel, NUL, payload, NUL. */
  private emit(body: Buffer): void {
    this.body = null;
    const nul = body.indexOf(0, 4);
    this.sink(body.toString('utf8', 4, nul), body.toString('utf8', nul + 1, body.length - 1));
  }
}

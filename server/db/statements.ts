/**
 * Named prepared statements for the SQL the server runs again and again (identify over the public layers, a page
 * of a layer, its count). PostgreSQL then parses and plans such a statement once per connection instead of at every
 * request: planning the 8-layer identify costs ~0.6 ms, as much as running it (EXPLAIN ANALYZE, scale 10).
 * pgx, under pg_featureserv, caches statements the same way.
 *
 * Only SQL whose parameters are scalars (a point, a box, ids, limits) may be prepared; the caller says so. After
 * five runs PostgreSQL may switch a prepared statement to a generic plan, planned without the values: a function of
 * a parameter is then evaluated per row instead of once, and a summary that parses its GeoJSON polygon per parcel
 * ran 2.4x slower (bench:features). The number of prepared texts is bounded (each costs memory in every pooled
 * backend until the connection is recycled), and only a text seen `prepareAfter` times is prepared. PostgreSQL
 * re-analyses a prepared statement when a table it reads changes (a layer replaced by an upload), and a text whose
 * result type changed under it ("cached plan must not change result type") is run unnamed from then on.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

interface Entry {
  /** The text with pg `$n` placeholders. */
  native: string;
  runs: number;
  name?: string;
}

/**
 * knex `?` placeholders as pg `$n`. A `?` inside a quoted identifier or string literal stays as it is (a column of an
 * uploaded layer may be called "what?"); every value we send is bound, so literals hold only fixed text.
 */
export function toNative(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null; // a doubled quote closes and reopens: same state afterwards
      out += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      out += ch;
    } else {
      out += ch === '?' ? `$${++n}` : ch;
    }
  }
  return out;
}

/** The name of a prepared statement: a hash of its text, so one name never stands for two texts. */
export function statementName(nativeText: string, prefix = 'sdi'): string {
  return `${prefix}_${createHash('sha1').update(nativeText).digest('hex').slice(0, 24)}`;
}

/**
 * True for the errors of a prepared statement gone stale: its result columns changed since it was prepared, or the
 * connection's session does not hold what pg believes it prepared there.
 */
export function isStalePreparedStatement(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code === '0A000') return /cached plan must not change result type/.test(e.message ?? '');
  // 26000 / 42P05: the server lost or already has the statement, as behind PgBouncer in transaction mode.
  return e?.code === '26000' || e?.code === '42P05';
}

/** Which statement texts run as named prepared statements, and their pg query configs. */
export class PreparedStatements {
  private readonly entries = new Map<string, Entry>();
  private readonly unnamed = new Set<string>();
  private prepared = 0;

  constructor(
    private readonly maxPrepared = 256,
    private readonly prepareAfter = 3,
    private readonly maxTracked = 4096,
  ) {}

  /** The pg query for `sql` (knex `?` bindings, scalar parameters only): named once the text is hot, unnamed before. */
  config(sql: string, values: readonly unknown[]): pg.QueryConfig {
    let entry = this.entries.get(sql);
    if (!entry) {
      if (this.entries.size >= this.maxTracked) this.forgetCold();
      entry = { native: toNative(sql), runs: 0 };
      this.entries.set(sql, entry);
    }
    entry.runs++;
    if (!entry.name && entry.runs >= this.prepareAfter && this.prepared < this.maxPrepared && !this.unnamed.has(sql)) {
      entry.name = statementName(entry.native);
      this.prepared++;
    }
    return {
      text: entry.native,
      values: values as unknown[],
      ...(entry.name && !this.unnamed.has(sql) ? { name: entry.name } : {}),
    };
  }

  /** Runs `sql` unnamed from now on (its prepared form failed). */
  runUnnamed(sql: string): void {
    this.unnamed.add(sql);
  }

  /** How many texts are prepared (for tests and metrics). */
  get preparedCount(): number {
    return this.prepared;
  }

  /** How many texts went back to running unnamed after their prepared form failed. */
  get unnamedCount(): number {
    return this.unnamed.size;
  }

  /** Drops the texts that were never prepared, to keep the map bounded. */
  private forgetCold(): void {
    for (const [sql, entry] of this.entries) if (!entry.name) this.entries.delete(sql);
  }
}

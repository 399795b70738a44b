/** Placeholder until the demo data generator lands (issue 2). */
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';

export interface SeedReport {
  scale: number;
  counts: Record<string, number>;
  ms: number;
}

export async function hasDemoData(_db: Database): Promise<boolean> {
  return true;
}

export async function seedDemo(_db: Database, opts: { scale: number; log?: Logger }): Promise<SeedReport> {
  return { scale: opts.scale, counts: {}, ms: 0 };
}

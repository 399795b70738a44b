/**
 * The demo data of Bắc Ninh province (the merged province of 2025: former Bắc Giang and Bắc Ninh):
 * real 2009 administrative units, and generated roads, rivers, places, land-use parcels, industrial
 * zones and BTS stations inside them. Deterministic: the same scale gives the same rows and geometries.
 * One transaction replaces every demo row, so readers see the old data or the new, never a mix.
 */
import path from 'node:path';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { seedAdmin } from './admin.ts';
import { seedBts } from './bts.ts';
import { seedIndustrialZones } from './industrial.ts';
import { seedLandUse } from './landuse.ts';
import { loadSeats, seedPlaces } from './places.ts';
import { seedRivers } from './rivers.ts';
import { seedRoads } from './roads.ts';
import { seedLandUsePlan, seedPostOffices, seedTransportPlan } from './planning.ts';
import { seedUnits } from './units.ts';
import { refreshCommuneCodes } from './commune-codes.ts';
import { fillNameSearch } from './search.ts';
import { sqlOf } from './sql.ts';

/** What a seed did: the scale, rows per table, and the time taken in milliseconds. */
export interface SeedReport {
  scale: number;
  counts: Record<string, number>;
  ms: number;
}

/** The demo tables, in the order they are filled (later steps read earlier tables). */
export const demoTables = [
  'admin_communes',
  'admin_districts',
  'admin_provinces',
  'admin_provinces_2025',
  'admin_communes_2025',
  'places',
  'rivers',
  'roads',
  'industrial_zones',
  'landuse_parcels',
  'bts_stations',
  'transport_plan',
  'landuse_plan_2030',
  'post_offices',
] as const;

/** Tables with a `name` column, whose `name_search` is filled. */
const namedTables = [
  'admin_communes',
  'admin_districts',
  'admin_provinces',
  'admin_provinces_2025',
  'admin_communes_2025',
  'places',
  'rivers',
  'roads',
  'industrial_zones',
  'transport_plan',
  'post_offices',
];

/** Copies of the MIT-licensed commune files (and their licence) shipped with the project. */
export const defaultDataDir = path.resolve(import.meta.dirname, '..', '..', 'layers', 'data');

/** True when the demo tables hold data (the communes and the parcels, the first and the largest). */
export async function hasDemoData(db: Database): Promise<boolean> {
  const [r] = await db.rows<{ ok: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM admin_communes) AND EXISTS (SELECT 1 FROM landuse_parcels) AS ok',
  );
  return r.ok;
}

/**
 * Replaces the demo data with a fresh, deterministic set at `scale` (1 is about 20,000 parcels and
 * 2,000 BTS stations; fractions such as 0.25 make quick test data), bumps the data version of the
 * layers on these tables so tile caches drop, then VACUUMs and ANALYZEs the tables.
 */
export async function seedDemo(db: Database, opts: { scale: number; log?: Logger; dataDir?: string }): Promise<SeedReport> {
  const { scale, log } = opts;
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`seed scale must be a positive number, got ${scale}`);
  const dataDir = opts.dataDir ?? defaultDataDir;
  const started = Date.now();
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const result = await fn();
    log?.info({ step: name, ms: Date.now() - t }, `demo data: ${name} loaded`);
    return result;
  };
  await db.knex.transaction(async (trx) => {
    const sql = sqlOf(trx);
    // STATEMENT_TIMEOUT_MS guards requests; at scale 10 one parcel statement runs for tens of seconds.
    await sql('SET LOCAL statement_timeout = 0');
    // The write-time commune trigger (migration 016) costs ~0.3 ms a row; the seed sets every code in one pass at the end.
    await sql("SET LOCAL sdi.commune_codes_deferred = 'on'");
    // On a server, DELETE keeps other sessions reading the old rows until the commit (TRUNCATE would
    // block them); the embedded database has one connection, and TRUNCATE leaves no dead rows behind.
    if (db.backend === 'server') {
      for (const t of [...demoTables].reverse()) await sql(`DELETE FROM "${t}"`);
    } else {
      await sql(`TRUNCATE ${demoTables.map((t) => `"${t}"`).join(', ')}`);
    }
    await step('admin', () => seedAdmin(sql, dataDir));
    await step('units_2025', () => seedUnits(sql, dataDir));
    await step('places', () => seedPlaces(sql));
    await step('rivers', () => seedRivers(sql));
    await step('roads', async () => seedRoads(sql, await loadSeats(sql)));
    await step('industrial_zones', () => seedIndustrialZones(sql));
    await step('landuse_parcels', () => seedLandUse(sql, scale));
    await step('bts_stations', () => seedBts(sql, scale));
    await step('transport_plan', async () => seedTransportPlan(sql, await loadSeats(sql)));
    await step('landuse_plan_2030', () => seedLandUsePlan(sql));
    await step('post_offices', () => seedPostOffices(sql));
    await step('commune_codes_2025', () => refreshCommuneCodes(sql));
    await step('name_search', async () => {
      for (const t of namedTables) await fillNameSearch(sql, t);
    });
    await trx('layer_catalog')
      .whereIn('source_table', [...demoTables])
      .update({ data_version: trx.raw('data_version + 1'), updated_at: trx.fn.now() });
  });
  const counts: Record<string, number> = {};
  for (const t of demoTables) {
    // The seed leaves a dead row for every row it wrote: the commune codes and search keys are set by UPDATEs after
    // the rows are in (full pages, so not in place), and a reseed deletes the old rows first. Until a vacuum, every
    // index holds both versions and every tile reads both (land use at scale 10: 204,332 dead rows, 1.6-1.8 times the
    // buffers per z12-16 tile); autovacuum would come, but only when it is on and gets round to it.
    await db.rows(`VACUUM (ANALYZE) "${t}"`);
    const [r] = await db.rows<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}"`);
    counts[t] = r.n;
  }
  return { scale, counts, ms: Date.now() - started };
}

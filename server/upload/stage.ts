/**
 * The second pass: every feature is decoded, transformed to EPSG:4326 in Node (proj4 with the official VN-2000
 * shift, the same definitions as server/crs and the control points), and written into a staging table per
 * geometry family inside one transaction. Then the staging tables are checked in PostGIS: invalid geometries
 * repaired with ST_MakeValid (counted, rows named), empty results dropped, singles promoted to Multi* when the
 * family mixes them, a typed geometry column and a GiST index. Any error rolls the whole staging back.
 */
import type { Knex } from 'knex';
import { isInsideVietnam, proj4Transformer } from '../crs/index.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { coerce, sqlType, type ColumnPlan } from './columns.ts';
import { dropDegenerateParts, familyType, isEmptyGeometry, mapPositions, splitByFamily, type Family } from './geometry.ts';
import type { ChosenCrs } from './crs-decision.ts';
import type { JobCounts } from './jobs.ts';
import { InvalidUploadError, RawText, type SourceDataset, type SourceValue } from './types.ts';

/** One staging table to fill: one geometry family of one dataset, published as one layer. */
export interface StageTarget {
  layerId: string;
  family: Family;
  /** Staging table name (unquoted, safe). */
  table: string;
  columns: ColumnPlan[];
}

/** What staging produced for one target, after the PostGIS checks. */
export interface StagedTable extends StageTarget {
  features: number;
  /** 'Point' | 'MultiPoint' | ... as stored. */
  storedType: string;
}

/** How to read the dataset in pass 2. */
export interface StageInput {
  dataset: SourceDataset;
  targets: Map<Family, StageTarget>;
  crs: ChosenCrs;
  swapAxes: boolean;
  decode: (bytes: Uint8Array) => string;
  counts: JobCounts;
  fixes: string[];
  signal: AbortSignal;
  /** Called with the number of features written so far. */
  onProgress(written: number): void;
}

const BATCH = 500;

// PostgreSQL text cannot hold NUL; fixed-width DBF fields are often NUL-padded in the middle too.
const NUL = /\u0000/g;

function decodeValue(v: SourceValue, decode: (b: Uint8Array) => string): string | number | boolean | Date | null {
  if (v instanceof RawText) return decode(v.bytes).normalize('NFC').replace(NUL, '');
  if (typeof v === 'string') return v.normalize('NFC').replace(NUL, '');
  return v;
}

async function createStaging(trx: Knex.Transaction, t: StageTarget): Promise<void> {
  const cols = t.columns.map((c) => `${quoteIdent(c.name)} ${sqlType(c.type)}`);
  await trx.raw(
    `CREATE TABLE ${quoteIdent(t.table)} (id integer PRIMARY KEY, src_row integer NOT NULL, geom geometry(Geometry, 4326) NOT NULL${cols.map((c) => `, ${c}`).join('')})`,
  );
}

/** Fills the staging tables of one dataset (inside `trx`) and checks them; returns what was staged. */
export async function stageDataset(trx: Knex.Transaction, input: StageInput): Promise<StagedTable[]> {
  const { dataset, targets, counts, signal } = input;
  for (const t of targets.values()) await createStaging(trx, t);
  const transformer = proj4Transformer(input.crs.proj4, 4326);
  const batches = new Map<Family, Record<string, unknown>[]>([...targets.keys()].map((f) => [f, []]));
  const nextId = new Map<Family, number>([...targets.keys()].map((f) => [f, 1]));
  let outside = 0;
  let outsideExample = '';
  let written = 0;
  const flush = async (family: Family) => {
    const rows = batches.get(family)!;
    if (rows.length === 0) return;
    await trx(targets.get(family)!.table).insert(rows);
    written += rows.length;
    batches.set(family, []);
    input.onProgress(written);
  };

  for await (const f of dataset.features()) {
    signal.throwIfAborted();
    if (!f.geometry || isEmptyGeometry(f.geometry)) continue; // counted and reported by the inspection
    const values: Record<string, unknown> = {};
    const anyTarget = targets.values().next().value as StageTarget;
    for (const c of anyTarget.columns) {
      const raw = decodeValue(f.properties[c.source] ?? null, input.decode);
      const v = coerce(raw, c.type);
      if (raw !== null && v === null) counts.valuesNotFitting++;
      values[c.name] = v;
    }
    const cleaned = dropDegenerateParts(f.geometry);
    if (!cleaned) {
      counts.emptyDropped++;
      input.fixes.push(`${dataset.name}: row ${f.row} has only degenerate parts (lines under 2 or rings under 4 positions) and was left out`);
      continue;
    }
    const lonLat = mapPositions(cleaned, (p) => {
      const ll = transformer.forward(input.swapAxes ? [p[1], p[0]] : [p[0], p[1]]);
      if (!isInsideVietnam(ll[0], ll[1])) {
        outside++;
        outsideExample ||= `row ${f.row} at ${ll[0].toFixed(5)}, ${ll[1].toFixed(5)}`;
      }
      return ll;
    });
    const parts = splitByFamily(lonLat);
    if (parts.length > 1 || lonLat.type === 'GeometryCollection') counts.splitCollections++;
    for (const [family, geom] of parts) {
      const target = targets.get(family);
      if (!target) continue;
      const id = nextId.get(family)!;
      nextId.set(family, id + 1);
      batches.get(family)!.push({
        id,
        src_row: f.row,
        geom: trx.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [JSON.stringify(geom)]),
        ...values,
      });
      if (batches.get(family)!.length >= BATCH) await flush(family);
    }
  }
  for (const family of targets.keys()) await flush(family);
  if (outside > 0) {
    throw new InvalidUploadError(
      `${dataset.name}: ${outside} positions fall outside Vietnam after transforming from ${input.crs.label} (first: ${outsideExample}); probably the wrong zone or swapped X/Y. Nothing was published.`,
    );
  }
  counts.inserted += written;
  const staged: StagedTable[] = [];
  for (const t of targets.values()) staged.push(await checkStaging(trx, t, counts, input.fixes));
  return staged;
}

const dimension: Record<Family, number> = { point: 1, line: 2, polygon: 3 };

/** Repairs, promotes, types and indexes one staging table; records every fix. */
async function checkStaging(trx: Knex.Transaction, t: StageTarget, counts: JobCounts, fixes: string[]): Promise<StagedTable> {
  const table = quoteIdent(t.table);
  const invalid = (
    await trx.raw(`SELECT src_row, ST_IsValidReason(geom) AS reason FROM ${table} WHERE NOT ST_IsValid(geom) ORDER BY src_row`)
  ).rows as Array<{ src_row: number; reason: string }>;
  if (invalid.length) {
    await trx.raw(`UPDATE ${table} SET geom = ST_CollectionExtract(ST_MakeValid(geom), ?::int) WHERE NOT ST_IsValid(geom)`, [dimension[t.family]]);
    counts.repaired += invalid.length;
    const examples = invalid.slice(0, 5).map((r) => `row ${r.src_row}: ${r.reason}`);
    fixes.push(`${t.layerId}: ${invalid.length} invalid geometries repaired with ST_MakeValid (${examples.join('; ')}${invalid.length > 5 ? '; …' : ''})`);
  }
  const dropped = (await trx.raw(`DELETE FROM ${table} WHERE geom IS NULL OR ST_IsEmpty(geom) RETURNING src_row`)).rows as Array<{ src_row: number }>;
  if (dropped.length) {
    counts.emptyDropped += dropped.length;
    fixes.push(`${t.layerId}: ${dropped.length} geometries were empty after repair and left out (rows ${dropped.slice(0, 10).map((r) => r.src_row).join(', ')})`);
  }
  const [{ multi, total }] = (
    await trx.raw(`SELECT count(*) FILTER (WHERE GeometryType(geom) LIKE 'MULTI%')::int AS multi, count(*)::int AS total FROM ${table}`)
  ).rows as Array<{ multi: number; total: number }>;
  const base = familyType[t.family];
  let storedType: string = base;
  if (multi > 0) {
    storedType = `Multi${base}`;
    if (multi < total) {
      await trx.raw(`UPDATE ${table} SET geom = ST_Multi(geom) WHERE GeometryType(geom) NOT LIKE 'MULTI%'`);
      counts.promotedToMulti += total - multi;
      fixes.push(`${t.layerId}: ${total - multi} single ${base} geometries promoted to ${storedType} (the file mixes both)`);
    }
  }
  await trx.raw(`ALTER TABLE ${table} ALTER COLUMN geom TYPE geometry(${storedType}, 4326) USING geom`);
  await trx.raw(`ALTER TABLE ${table} DROP COLUMN src_row`);
  await trx.raw(`CREATE INDEX ${quoteIdent(`${t.table}_geom`)} ON ${table} USING gist (geom)`);
  return { ...t, features: total, storedType };
}

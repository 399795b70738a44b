/**
 * The second pass: every feature is decoded and loaded inside one transaction with large set-based INSERTs (unnest
 * of one array per column; pg-copy-streams is not installed, and this is nearly as fast) into a temporary load table
 * per geometry family. The transform to EPSG:4326 happens in the same statement (ST_Transform) when spatial_ref_sys
 * holds the chosen CRS with the very same proj4 definition (the VN-2000 rows, with the official shift), else in Node
 * (proj4, the same definitions as server/crs); the database tests validity as it parses. Then one pass in
 * PostGIS: only the invalid rows are repaired with ST_MakeValid (counted, rows named), empty results dropped, and
 * the staging table is written once with its final type (singles promoted to Multi* when the family mixes them),
 * its primary key and GiST index built after the load. Any error rolls the whole staging back.
 */
import type { Knex } from 'knex';
import { isInsideVietnam, proj4Transformer, VIETNAM_BOUNDS } from '../crs/index.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { tileGeometryDefinition, tileGeometryIndexSql } from '../sql/tile-geometry.ts';
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

/**
 * Most rows, and most characters of GeoJSON, per set-based INSERT (one statement binds one array per column): large
 * enough that the per-statement cost vanishes (a batch of 20 m parcels is ~2,000 rows), small enough that the two
 * batches alive at once (one built, one in the database, each copied into pg's array literal and message) stay a few
 * MiB whatever the feature count or the vertices per feature.
 */
const BATCH_ROWS = 5000;
const BATCH_CHARS = 512 * 1024;

// PostgreSQL text cannot hold NUL; fixed-width DBF fields are often NUL-padded in the middle too.
const NUL = /\u0000/g;

function decodeValue(v: SourceValue, decode: (b: Uint8Array) => string): string | number | boolean | Date | null {
  if (v instanceof RawText) return decode(v.bytes).normalize('NFC').replace(NUL, '');
  if (typeof v === 'string') return v.normalize('NFC').replace(NUL, '');
  return v;
}

/** The load table of a target: temporary (no WAL, dropped at commit), untyped geometry, the validity of each row. */
const loadTable = (t: StageTarget) => quoteIdent(`${t.table}$load`);

async function createLoadTable(trx: Knex.Transaction, t: StageTarget): Promise<void> {
  const cols = t.columns.map((c) => `, ${quoteIdent(c.name)} ${sqlType(c.type)}`).join('');
  await trx.raw(
    `CREATE TEMP TABLE ${loadTable(t)} (id integer, src_row integer, geom geometry, valid boolean${cols}) ON COMMIT DROP`,
  );
}

/** A batch of rows for one target, one array per column (what unnest binds). */
interface Batch {
  /** Characters of GeoJSON held. */
  chars: number;
  ids: number[];
  rows: number[];
  geoms: string[];
  values: unknown[][];
}

const emptyBatch = (columns: number): Batch => ({
  chars: 0,
  ids: [],
  rows: [],
  geoms: [],
  values: Array.from({ length: columns }, () => []),
});

/**
 * One set-based INSERT of a batch: the GeoJSON is parsed and its validity tested in the same statement, so the
 * database checks validity while Node prepares the next batch (no separate ST_IsValid pass over the table).
 */
async function insertBatch(trx: Knex.Transaction, t: StageTarget, b: Batch, sqlSrid: number | null): Promise<void> {
  const names = t.columns.map((c) => quoteIdent(c.name));
  const arrays = t.columns.map((c) => `, ?::${sqlType(c.type)}[]`).join('');
  const aliases = t.columns.map((_, i) => `, c${i}`).join('');
  const geom =
    sqlSrid === null
      ? 'ST_SetSRID(ST_GeomFromGeoJSON(u.gj), 4326)'
      : 'ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(u.gj), ?::int), 4326)';
  await trx.raw(
    `INSERT INTO ${loadTable(t)} (id, src_row, geom, valid${names.map((n) => `, ${n}`).join('')})
     SELECT u.id, u.src_row, g.geom, ST_IsValid(g.geom)${aliases}
       FROM unnest(?::int[], ?::int[], ?::text[]${arrays}) AS u(id, src_row, gj${aliases})
       CROSS JOIN LATERAL (SELECT ${geom} AS geom) g`,
    [b.ids, b.rows, b.geoms, ...b.values, ...(sqlSrid === null ? [] : [sqlSrid])] as Knex.RawBinding[],
  );
}

const words = (proj4: string) => proj4.trim().split(/\s+/).sort().join(' ');

/**
 * The SRID PostGIS may transform with, when the chosen CRS has one whose spatial_ref_sys row holds the very same
 * proj4 definition (the VN-2000 rows are re-asserted at every start with the official shift); null means Node
 * transforms (a CRS given as proj4 only, or a row that differs).
 */
async function sqlTransformSrid(trx: Knex.Transaction, crs: ChosenCrs): Promise<number | null> {
  if (crs.srid === null || crs.srid === 4326) return null;
  const [row] = (await trx.raw('SELECT proj4text FROM spatial_ref_sys WHERE srid = ?::int', [crs.srid])).rows as Array<{
    proj4text: string | null;
  }>;
  return row?.proj4text && words(row.proj4text) === words(crs.proj4) ? crs.srid : null;
}

/** Whether a family's geometries (after Node's cleaning) were single, multi or both. */
interface Kinds {
  single: number;
  multi: number;
}

/** Fills the staging tables of one dataset (inside `trx`) and checks them; returns what was staged. */
export async function stageDataset(trx: Knex.Transaction, input: StageInput): Promise<StagedTable[]> {
  const { dataset, targets, counts, signal } = input;
  for (const t of targets.values()) await createLoadTable(trx, t);
  // One transform pass in SQL (PROJ) where PostGIS knows the CRS exactly as we do; else proj4 in Node.
  const sqlSrid = await sqlTransformSrid(trx, input.crs);
  const transformer = sqlSrid === null ? proj4Transformer(input.crs.proj4, 4326) : null;
  const width = (targets.values().next().value as StageTarget | undefined)?.columns.length ?? 0;
  const batches = new Map<Family, Batch>([...targets.keys()].map((f) => [f, emptyBatch(width)]));
  const kinds = new Map<Family, Kinds>([...targets.keys()].map((f) => [f, { single: 0, multi: 0 }]));
  const nextId = new Map<Family, number>([...targets.keys()].map((f) => [f, 1]));
  let outside = 0;
  let outsideExample = '';
  let written = 0;
  // At most one batch in the database while the next is built: Node and PostgreSQL work at the same time, and
  // memory stays at two batches whatever the feature count.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async (family: Family) => {
    const batch = batches.get(family)!;
    if (batch.ids.length === 0) return;
    batches.set(family, emptyBatch(width));
    await inFlight;
    inFlight = insertBatch(trx, targets.get(family)!, batch, sqlSrid).then(() => {
      written += batch.ids.length;
      input.onProgress(written);
    });
    inFlight.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
  };

  for await (const f of dataset.features()) {
    signal.throwIfAborted();
    if (!f.geometry || isEmptyGeometry(f.geometry)) continue; // counted and reported by the inspection
    const values: unknown[] = [];
    const anyTarget = targets.values().next().value as StageTarget;
    for (const c of anyTarget.columns) {
      const raw = decodeValue(f.properties[c.source] ?? null, input.decode);
      const v = coerce(raw, c.type);
      if (raw !== null && v === null) counts.valuesNotFitting++;
      values.push(v);
    }
    const cleaned = dropDegenerateParts(f.geometry);
    if (!cleaned) {
      counts.emptyDropped++;
      input.fixes.push(
        `${dataset.name}: row ${f.row} has only degenerate parts (lines under 2 or rings under 4 positions) and was left out`,
      );
      continue;
    }
    const lonLat = mapPositions(cleaned, (p) => {
      if (!transformer) return input.swapAxes ? [p[1], p[0]] : [p[0], p[1]];
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
      const k = kinds.get(family)!;
      if (geom.type.startsWith('Multi')) k.multi++;
      else k.single++;
      const b = batches.get(family)!;
      b.ids.push(id);
      b.rows.push(f.row);
      const text = JSON.stringify(geom);
      b.geoms.push(text);
      b.chars += text.length;
      values.forEach((v, i) => b.values[i].push(v));
      if (b.ids.length >= BATCH_ROWS || b.chars >= BATCH_CHARS) await flush(family);
    }
  }
  for (const family of targets.keys()) await flush(family);
  await inFlight;
  if (outside > 0) {
    throw new InvalidUploadError(
      `${dataset.name}: ${outside} positions fall outside Vietnam after transforming from ${input.crs.label} (first: ${outsideExample}); probably the wrong zone or swapped X/Y. Nothing was published.`,
    );
  }
  if (sqlSrid !== null) await checkInsideVietnamSql(trx, dataset.name, input.crs, [...targets.values()]);
  counts.inserted += written;
  const staged: StagedTable[] = [];
  for (const t of targets.values()) staged.push(await checkStaging(trx, t, kinds.get(t.family)!, counts, input.fixes));
  return staged;
}

/** After a transform in SQL: every position must lie in Vietnam (a bbox inside the box has all its positions inside). */
async function checkInsideVietnamSql(trx: Knex.Transaction, name: string, crs: ChosenCrs, targets: StageTarget[]): Promise<void> {
  const [x0, y0, x1, y1] = VIETNAM_BOUNDS;
  let outside = 0;
  let example = '';
  for (const t of targets) {
    const [r] = (
      await trx.raw(
        `SELECT count(*) OVER ()::int AS n, src_row AS first_row, round(ST_XMin(geom)::numeric, 5) || ', ' || round(ST_YMin(geom)::numeric, 5) AS at
           FROM ${loadTable(t)} WHERE NOT geom @ ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, 4326) ORDER BY src_row LIMIT 1`,
        [x0, y0, x1, y1],
      )
    ).rows as Array<{ n: number; first_row: number; at: string }>;
    if (!r) continue;
    outside += r.n;
    if (r.n && !example) example = `row ${r.first_row} near ${r.at}`;
  }
  if (outside > 0) {
    throw new InvalidUploadError(
      `${name}: ${outside} features have positions outside Vietnam after transforming from ${crs.label} (first: ${example}); ` +
        'probably the wrong zone or swapped X/Y. Nothing was published.',
    );
  }
}

const dimension: Record<Family, number> = { point: 1, line: 2, polygon: 3 };

/**
 * Repairs the invalid rows (validity was tested at load, so only they are touched), drops those left empty, then
 * writes the staging table in ONE pass with its final geometry type (promoted to Multi* when the family mixes
 * both), builds the primary key and the GiST index after the load, and records every fix.
 */
async function checkStaging(
  trx: Knex.Transaction,
  t: StageTarget,
  kinds: Kinds,
  counts: JobCounts,
  fixes: string[],
): Promise<StagedTable> {
  const load = loadTable(t);
  const invalid = (
    await trx.raw(`SELECT src_row, ST_IsValidReason(geom) AS reason FROM ${load} WHERE NOT valid ORDER BY src_row`)
  ).rows as Array<{
    src_row: number;
    reason: string;
  }>;
  if (invalid.length) {
    await trx.raw(`UPDATE ${load} SET geom = ST_CollectionExtract(ST_MakeValid(geom), ?::int) WHERE NOT valid`, [
      dimension[t.family],
    ]);
    counts.repaired += invalid.length;
    const examples = invalid.slice(0, 5).map((r) => `row ${r.src_row}: ${r.reason}`);
    fixes.push(
      `${t.layerId}: ${invalid.length} invalid geometries repaired with ST_MakeValid (${examples.join('; ')}${invalid.length > 5 ? '; …' : ''})`,
    );
    const dropped = (
      await trx.raw(`DELETE FROM ${load} WHERE NOT valid AND (geom IS NULL OR ST_IsEmpty(geom)) RETURNING src_row`)
    ).rows as Array<{
      src_row: number;
    }>;
    if (dropped.length) {
      counts.emptyDropped += dropped.length;
      fixes.push(
        `${t.layerId}: ${dropped.length} geometries were empty after repair and left out (rows ${dropped
          .slice(0, 10)
          .map((r) => r.src_row)
          .join(', ')})`,
      );
    }
  }
  const [{ total, multi }] = (
    await trx.raw(
      invalid.length
        ? `SELECT count(*)::int AS total, count(*) FILTER (WHERE GeometryType(geom) LIKE 'MULTI%')::int AS multi FROM ${load}`
        : 'SELECT ?::int AS total, ?::int AS multi',
      // Without repairs Node's count holds; a repair may turn a single geometry into a multi one, so then recount.
      invalid.length ? [] : [kinds.single + kinds.multi, kinds.multi],
    )
  ).rows as Array<{ total: number; multi: number }>;
  const base = familyType[t.family];
  const storedType = multi > 0 ? `Multi${base}` : base;
  if (multi > 0 && multi < total) {
    counts.promotedToMulti += total - multi;
    fixes.push(`${t.layerId}: ${total - multi} single ${base} geometries promoted to ${storedType} (the file mixes both)`);
  }
  const geom = multi > 0 && multi < total ? 'ST_Multi(geom)' : 'geom';
  const names = t.columns.map((c) => `, ${quoteIdent(c.name)}`).join('');
  const table = quoteIdent(t.table);
  // The table's shape first, then its tile geometry (generated: added to an empty table it rewrites nothing), then
  // the rows, which compute it as they go in.
  const select = `SELECT id, ${geom}::geometry(${storedType}, 4326) AS geom${names} FROM ${load} ORDER BY id`;
  await trx.raw(`CREATE TABLE ${table} AS ${select} WITH NO DATA`);
  await trx.raw(`ALTER TABLE ${table} ADD COLUMN ${tileGeometryDefinition}`);
  await trx.raw(`INSERT INTO ${table} (id, geom${names}) ${select}`);
  await trx.raw(`ALTER TABLE ${table} ALTER COLUMN geom SET NOT NULL, ADD PRIMARY KEY (id)`);
  await trx.raw(`CREATE INDEX ${quoteIdent(`${t.table}_geom`)} ON ${table} USING gist (geom)`);
  await trx.raw(tileGeometryIndexSql(table, t.table));
  await trx.raw(`DROP TABLE ${load}`);
  return { ...t, features: total, storedType };
}

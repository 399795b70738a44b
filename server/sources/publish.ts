/**
 * Publishing a table in place as a layer: nothing is copied. The catalog row names the schema, primary key,
 * geometry column and SRID of the table and the columns exposed (only those listed). Edits other programs make
 * reach the tile cache through our change triggers where the table takes them (per area), else by a TTL per layer
 * that the answer and the row state. Access is restricted unless the admin says otherwise.
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import type { Principal } from '../catalog/catalog.ts';
import { dataLayerMaxzoom, layerIdPattern, type ColumnType, type LayerColumn } from '../catalog/definition.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { actorOf, recordAudit } from '../auth/audit.ts';
import { ConflictError, InvalidParameterError, NotFoundError, UnprocessableError } from '../errors.ts';
import { safeColumnNames } from '../upload/columns.ts';
import type { LayerMetadata } from '../upload/publish.ts';
import { listSourceTables, type SourceTable } from './discover.ts';

/** What POST /admin/layers with a `source` asks for. */
export interface SourceRequest {
  schema: string;
  table: string;
  layerId: string;
  /** Source column names to expose (none when absent). */
  columns: string[];
  metadata: LayerMetadata;
  /** The feature id column when the table has no single-column primary key (a view). */
  idColumn?: string;
  /** Which geometry column, when the table has several. */
  geometryColumn?: string;
}

/** The answer: the layer, how its edits reach the tiles, and warnings (a missing spatial index). */
export interface SourcePublished {
  id: string;
  source: { schema: string; table: string; geometryColumn: string; srid: number; idColumn: string };
  columns: LayerColumn[];
  /** 'triggers': per-area invalidation on every edit; 'ttl': tiles live cacheTtlSeconds. */
  changes: 'triggers' | 'ttl';
  cacheTtlSeconds: number | null;
  warnings: string[];
}

/** Column types of PostgreSQL mapped to the layer column types; anything else is exposed as text. */
export function columnTypeOf(pgType: string): ColumnType {
  if (/^(smallint|integer|bigint)$/.test(pgType)) return 'integer';
  if (/^(real|double precision|numeric)/.test(pgType)) return 'number';
  if (pgType === 'boolean') return 'boolean';
  if (pgType === 'date') return 'date';
  if (/^timestamp/.test(pgType)) return 'datetime';
  return 'string';
}

/** The kind of feature id a key column gives (text, varchar, char and uuid keys are served as strings), or null. */
export function idTypeOf(pgType: string): 'integer' | 'text' | 'uuid' | null {
  if (columnTypeOf(pgType) === 'integer') return 'integer';
  if (/^(text|character varying|character|varchar|char)\b/.test(pgType)) return 'text';
  if (pgType === 'uuid') return 'uuid';
  return null;
}

const familyOfType = (t: string): 'Point' | 'LineString' | 'Polygon' | null =>
  /POINT/.test(t) ? 'Point' : /LINE/.test(t) ? 'LineString' : /POLYGON/.test(t) ? 'Polygon' : null;

const triggers = [
  { name: 'sdi_tiles_insert', event: 'INSERT', referencing: 'REFERENCING NEW TABLE AS sdi_new_rows' },
  { name: 'sdi_tiles_update', event: 'UPDATE', referencing: 'REFERENCING OLD TABLE AS sdi_old_rows NEW TABLE AS sdi_new_rows' },
  { name: 'sdi_tiles_delete', event: 'DELETE', referencing: 'REFERENCING OLD TABLE AS sdi_old_rows' },
  { name: 'sdi_tiles_truncate', event: 'TRUNCATE', referencing: '' },
] as const;

/**
 * Attaches migration 012's change triggers (same names as the tile service's, so it sees them in place) inside a
 * savepoint; false when the table cannot take them (a view, or a table owned by another role).
 */
export async function attachTriggers(
  trx: Knex | Knex.Transaction,
  t: Pick<SourceTable, 'kind' | 'schema' | 'name' | 'geometryColumn' | 'srid'>,
): Promise<boolean> {
  if (t.kind !== 'table') return false;
  const rel = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
  const args = `'${t.geometryColumn.replace(/'/g, "''")}', '${Math.trunc(t.srid)}'`;
  try {
    await trx.transaction(async (sp) => {
      for (const g of triggers) {
        const level = g.event === 'TRUNCATE' ? 'FOR EACH STATEMENT' : `${g.referencing} FOR EACH STATEMENT`;
        await sp.raw(
          `CREATE OR REPLACE TRIGGER ${g.name} AFTER ${g.event} ON ${rel} ${level} EXECUTE FUNCTION sdi_source_change_notify(${args})`,
        );
      }
    });
    return true;
  } catch {
    return false;
  }
}

function pick(tables: SourceTable[], r: SourceRequest): SourceTable {
  const mine = tables.filter((t) => t.schema === r.schema && t.name === r.table);
  if (!mine.length) throw new NotFoundError(`source: no table or view ${r.schema}.${r.table} with a geometry column`);
  if (r.geometryColumn === undefined && mine.length > 1) {
    throw new InvalidParameterError(
      `source.geometryColumn: ${r.schema}.${r.table} has several (${mine.map((t) => t.geometryColumn).join(', ')})`,
      'source.geometryColumn',
    );
  }
  const t = r.geometryColumn === undefined ? mine[0] : mine.find((x) => x.geometryColumn === r.geometryColumn);
  if (!t)
    throw new InvalidParameterError(
      `source.geometryColumn: ${r.schema}.${r.table} has no geometry column "${r.geometryColumn}"`,
      'source.geometryColumn',
    );
  return t;
}

/** Publishes a table in place for `who` (an admin; the route checks); `schemas` is SOURCE_SCHEMAS. */
export async function publishSource(
  db: Database,
  schemas: readonly string[],
  r: SourceRequest,
  who: Principal,
  defaultTtlSeconds: number,
): Promise<SourcePublished> {
  if (!schemas.includes(r.schema)) {
    throw new InvalidParameterError(
      `source.schema: "${r.schema}" is not in SOURCE_SCHEMAS (${schemas.join(', ') || 'none configured'})`,
      'source.schema',
    );
  }
  if (!layerIdPattern.test(r.layerId))
    throw new InvalidParameterError(`id: "${r.layerId}" is not a layer id (a-z, 0-9, _)`, 'id');
  const t = pick(await listSourceTables(db, [r.schema]), r);
  if (!t.srid)
    throw new UnprocessableError(
      `source: ${t.schema}.${t.name}.${t.geometryColumn} declares no SRID; give the column one (geometry(..., srid))`,
    );
  let family = familyOfType(t.geometryType);
  if (!family) {
    const [row] = await db.rows<{ t: string | null }>(
      `SELECT upper(GeometryType(${quoteIdent(t.geometryColumn)})) AS t FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)}
        WHERE ${quoteIdent(t.geometryColumn)} IS NOT NULL LIMIT 1`,
    );
    family = familyOfType(row?.t ?? '');
    if (!family)
      throw new UnprocessableError(`source: ${t.schema}.${t.name} has no point, line or polygon to tell its geometry type`);
  }
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  const idColumn = r.idColumn ?? t.primaryKey?.name;
  if (!idColumn)
    throw new InvalidParameterError(
      `source.idColumn: ${t.schema}.${t.name} has no single-column primary key; name the id column`,
      'source.idColumn',
    );
  const idCol = byName.get(idColumn);
  if (!idCol)
    throw new InvalidParameterError(`source.idColumn: ${t.schema}.${t.name} has no column "${idColumn}"`, 'source.idColumn');
  const idType = idTypeOf(idCol.type);
  if (!idType) {
    throw new UnprocessableError(
      `source.idColumn: "${idColumn}" is ${idCol.type}; feature ids are integer, text, varchar or uuid keys`,
    );
  }
  for (const c of r.columns) {
    if (!byName.has(c)) throw new InvalidParameterError(`columns: ${t.schema}.${t.name} has no column "${c}"`, 'columns');
    if (c === t.geometryColumn) throw new InvalidParameterError(`columns: "${c}" is the geometry column`, 'columns');
  }
  // An integer key is the id of tiles too; a text key is not (tiles carry an integer made from it, see
  // sourceTableSql), so when it is listed it stays a property, which tile clients can match with the item ids.
  const exposed = r.columns.filter((c) => c !== idColumn || idType !== 'integer');
  const names = safeColumnNames(exposed).map((n) => (n === 'id' || n === 'geom' ? `${n}_` : n));
  const columns: LayerColumn[] = exposed.map((c, i) => ({
    name: names[i],
    type: columnTypeOf(byName.get(c)!.type),
    label: { en: c, vi: c },
  }));
  const warnings: string[] = [];
  if (!t.spatialIndex) {
    warnings.push(
      `${t.schema}.${t.name} has no spatial index on ${t.geometryColumn}: every tile and bbox query scans the whole table ` +
        `(CREATE INDEX ON ${quoteIdent(t.schema)}.${quoteIdent(t.name)} USING gist (${quoteIdent(t.geometryColumn)}))`,
    );
  }
  const m = r.metadata;
  return db.knex.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('sdi-layer:' || ?::text))", [r.layerId]);
    const [taken] = (await trx.raw('SELECT 1 FROM layer_catalog WHERE id = ?', [r.layerId])).rows as unknown[];
    if (taken) throw new ConflictError(`layer "${r.layerId}" exists; choose another id`);
    const withTriggers = await attachTriggers(trx, t);
    const ttl = withTriggers ? null : defaultTtlSeconds;
    if (!withTriggers)
      warnings.push(`${t.schema}.${t.name} cannot take change triggers; its tiles are cached for ${ttl} s (cacheTtlSeconds)`);
    await trx('layer_catalog').insert({
      id: r.layerId,
      title: m.title ?? t.name,
      title_vi: m.titleVi ?? m.title ?? t.name,
      description: m.description ?? '',
      keywords: m.keywords ?? [],
      layer_group: m.group ?? 'other',
      source_table: t.name,
      source_schema: t.schema,
      id_column: idColumn,
      id_type: idType,
      geom_column: t.geometryColumn,
      column_sources: JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, exposed[i]]))),
      cache_ttl_seconds: ttl,
      geometry_type: family,
      maxzoom: dataLayerMaxzoom,
      srid: t.srid,
      source_crs: `EPSG:${t.srid}`,
      columns: JSON.stringify(columns),
      style: JSON.stringify(m.style ?? { type: 'single', color: '#377eb8', fillOpacity: 0.4, weight: 1.5, radius: 5 }),
      tile_options: JSON.stringify(ttl ? { cacheControl: `public, max-age=${ttl}` } : {}),
      attribution: m.attribution ?? '',
      licence: m.licence ?? '',
      access: m.access ?? 'restricted',
      origin: 'source',
      owner: who.tokenId,
      data_version: 1,
    });
    await recordAudit(trx, actorOf(who), {
      action: 'publish',
      layerId: r.layerId,
      oldVersion: null,
      newVersion: 1,
      details: {
        source: `${t.schema}.${t.name}`,
        geometryColumn: t.geometryColumn,
        srid: t.srid,
        changes: withTriggers ? 'triggers' : 'ttl',
      },
    });
    return {
      id: r.layerId,
      source: { schema: t.schema, table: t.name, geometryColumn: t.geometryColumn, srid: t.srid, idColumn },
      columns,
      changes: withTriggers ? 'triggers' : 'ttl',
      cacheTtlSeconds: ttl,
      warnings,
    };
  });
}

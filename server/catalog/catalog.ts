/**
 * The catalog: the only place where a request string becomes a layer or a column.
 * It mirrors the `layer_catalog` table, reloads when that table changes (NOTIFY), and hides
 * restricted layers from callers without a reader role.
 */
import type { Database } from '../db/database.ts';
import type { LayerColumn, LayerDefinition, LayerStyle, LayerTemporal, TileOptions } from './definition.ts';
import type { GeometryType, LayerAccess, LayerGroup, LonLatBounds } from '../wire/layer.ts';
import type { DatasetMetadata } from './metadata.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { tileGeometryColumn } from '../sql/tile-geometry.ts';
import { DatabaseUnavailableError, UnknownLayerError } from '../errors.ts';

export { UnknownLayerError };

/** Who is asking: anonymous, or a token's role. */
export interface Principal {
  role: 'viewer' | 'editor' | 'admin';
  tokenId: string;
  name: string;
}

/** One layer as the server knows it. Immutable; a catalog reload makes new ones. */
export interface Layer {
  readonly id: string;
  readonly title: string;
  readonly titleVi: string;
  readonly description: string;
  readonly keywords: string[];
  readonly group: LayerGroup;
  /** The table, already quoted for SQL (`"public"."landuse_parcels"`). */
  readonly tableSql: string;
  readonly table: string;
  readonly geometryType: GeometryType;
  readonly sourceCrs: string | null;
  readonly columns: readonly LayerColumn[];
  readonly minzoom: number;
  readonly maxzoom: number;
  readonly style: LayerStyle;
  readonly tileOptions: TileOptions;
  readonly attribution: string;
  readonly licence: string;
  readonly access: LayerAccess;
  readonly origin: 'builtin' | 'upload' | 'source';
  readonly owner: string | null;
  /** Where the data lives: the layer's own table, or a table read in place (origin 'source', see sourceTableSql). */
  readonly source: LayerSource | null;
  /** The relation itself, quoted (`"schema"."table"`), for catalog look-ups; tableSql may be a subquery over it. */
  readonly relationSql: string;
  readonly sortOrder: number;
  readonly dataVersion: number;
  readonly updatedAt: Date;
  /** Bounds in EPSG:4326 [minx, miny, maxx, maxy], or null for an empty layer. */
  readonly bounds: LonLatBounds | null;
  /** The table keeps its geometry in Web Mercator for tiles (server/sql/tile-geometry.ts); absent = it does not. */
  readonly tileGeometry?: boolean;
  /** The validity columns, for layers whose features are valid for a time (administrative units); else absent. */
  readonly temporal?: LayerTemporal | null;
  /** First and last day (YYYY-MM-DD, inclusive; null = open) any feature is valid, when `temporal` is declared. */
  readonly temporalExtent?: TemporalExtent | null;
  /** The open-data metadata record, or null when none was written yet. */
  readonly metadata: DatasetMetadata | null;
  /** The column by name, or undefined. Only names found here may reach SQL. */
  column(name: string): LayerColumn | undefined;
}

/** The days a temporal layer covers: [first, last] as YYYY-MM-DD, inclusive; null where a feature's validity is open. */
export type TemporalExtent = [string | null, string | null];

/**
 * A table read in place: its schema, primary key (integer or text), geometry column and SRID, the source column of
 * each exposed column, the cache TTL when it cannot report its edits, and what is wrong with it now (null = fine).
 */
export interface LayerSource {
  schema: string;
  table: string;
  idColumn: string;
  /** The key's kind: integer keys are the feature id as they are; text (text, varchar, char) and uuid keys see featureIdSql. */
  idType: 'integer' | 'text' | 'uuid';
  geomColumn: string;
  srid: number;
  /** Exposed column name -> the table's column name. */
  columnSources: Record<string, string>;
  cacheTtlSeconds: number | null;
  /** Set when the table is missing or lost a column the layer reads; the layer then answers 503 naming itself. */
  problem: string | null;
}

/**
 * The FROM item of a source layer: a subquery over the table that shows the layer's usual shape (`id`, `geom` in
 * EPSG:4326, the exposed columns under their names) plus `__native`, the geometry column as stored, so bbox tests
 * can use the table's own GiST index (PostgreSQL pulls the subquery up into the outer query).
 */
export function sourceTableSql(s: Omit<LayerSource, 'problem'>, columns: readonly LayerColumn[]): string {
  const g = `s.${quoteIdent(s.geomColumn)}`;
  const geom = s.srid === 4326 ? g : `ST_Transform(${g}, 4326)`;
  const cast: Partial<Record<LayerColumn['type'], string>> = { string: '::text' };
  const cols = columns
    .map((c) => `, s.${quoteIdent(s.columnSources[c.name] ?? c.name)}${cast[c.type] ?? ''} AS ${quoteIdent(c.name)}`)
    .join('');
  const key = `s.${quoteIdent(s.idColumn)}`;
  // A text or uuid key is the feature id of items, queries and filters (`__key`, see featureIdSql). Tiles need an
  // integer: MVT ids are uint64, and the Node encoder and the memory index key, rank and cluster features by integer
  // id. So `id` is a stable integer made from the key: 53 bits of its 64-bit hash (hashtextextended, seed 0), the same
  // on every server and across restarts, exact as a JavaScript number, non-negative as MVT wants. Two keys may share
  // a hash (about 1 in 10^10 for 10^4 features, negligible in 2^53); only tile ids would collide, never items. We chose
  // this over leaving the MVT id unset because an unset id breaks the memory index and MapLibre's feature state.
  const id =
    s.idType === 'integer' ? `${key} AS id` : `(hashtextextended(${key}::text, 0) & 9007199254740991) AS id, ${key} AS __key`;
  return `(SELECT ${id}, ${geom} AS geom, ${g} AS __native${cols} FROM ${quoteIdent(s.schema)}.${quoteIdent(s.table)} s)`;
}

/** The feature id of a layer as items, queries and filters show it: `t.id`, or `t.__key` for a text or uuid key. */
export function featureIdSql(layer: { readonly source: Pick<LayerSource, 'idType'> | null }): string {
  return layer.source && layer.source.idType !== 'integer' ? 't.__key' : 't.id';
}

/** A row of `layer_catalog` as the database holds it (snake_case columns); toLayer turns it into a Layer. */
interface CatalogRow {
  id: string;
  title: string;
  title_vi: string | null;
  description: string;
  keywords: string[];
  layer_group: LayerGroup;
  source_table: string;
  geometry_type: GeometryType;
  source_crs: string | null;
  columns: LayerColumn[];
  minzoom: number;
  maxzoom: number;
  style: LayerStyle;
  tile_options: TileOptions;
  attribution: string;
  licence: string;
  access: LayerAccess;
  origin: 'builtin' | 'upload' | 'source';
  owner: string | null;
  sort_order: number;
  srid: number;
  source_schema: string | null;
  id_column: string | null;
  id_type: 'integer' | 'text' | 'uuid' | null;
  geom_column: string | null;
  column_sources: Record<string, string> | null;
  cache_ttl_seconds: number | null;
  data_version: number;
  updated_at: Date;
  temporal?: LayerTemporal | null;
  /** Added by migration 011. */
  metadata?: DatasetMetadata | null;
}

/** What is read from a layer's table when the catalog loads: its bounds and, for a temporal layer, its days. */
interface TableExtent {
  bounds: Layer['bounds'];
  tileGeometry: boolean;
  temporalExtent: TemporalExtent | null;
}

/** NOTIFY channel raised by any change of `layer_catalog`. */
export const catalogChannel = 'layer_catalog_changed';

/** May this caller see a layer with this access level? */
export function canRead(access: LayerAccess, principal: Principal | null): boolean {
  return access === 'public' || principal !== null;
}

/** The source description of a catalog row read in place, or null for the layer's own table. */
function sourceOf(row: CatalogRow, problem: string | null): LayerSource | null {
  if (row.origin !== 'source' || !row.source_schema || !row.id_column || !row.geom_column) return null;
  return {
    schema: row.source_schema,
    table: row.source_table,
    idColumn: row.id_column,
    idType: row.id_type ?? 'integer',
    geomColumn: row.geom_column,
    srid: row.srid,
    columnSources: row.column_sources ?? {},
    cacheTtlSeconds: row.cache_ttl_seconds,
    problem,
  };
}

function toLayer(row: CatalogRow, extent: TableExtent, problem: string | null = null): Layer {
  const byName = new Map(row.columns.map((c) => [c.name, c]));
  const source = sourceOf(row, problem);
  const relationSql = source ? `${quoteIdent(source.schema)}.${quoteIdent(source.table)}` : quoteIdent(row.source_table);
  return {
    id: row.id,
    title: row.title,
    titleVi: row.title_vi ?? row.title,
    description: row.description,
    keywords: row.keywords,
    group: row.layer_group,
    tableSql: source ? sourceTableSql(source, row.columns) : quoteIdent(row.source_table),
    relationSql,
    source,
    table: row.source_table,
    geometryType: row.geometry_type,
    sourceCrs: row.source_crs,
    columns: row.columns,
    minzoom: row.minzoom,
    maxzoom: row.maxzoom,
    style: row.style,
    tileOptions: row.tile_options ?? {},
    attribution: row.attribution,
    licence: row.licence,
    access: row.access,
    origin: row.origin,
    owner: row.owner,
    sortOrder: row.sort_order,
    dataVersion: row.data_version,
    updatedAt: new Date(row.updated_at),
    bounds: extent.bounds,
    tileGeometry: extent.tileGeometry,
    temporal: row.temporal ?? null,
    temporalExtent: extent.temporalExtent,
    metadata: row.metadata ?? null,
    column: (name: string) => byName.get(name),
  };
}

/** The run-time registry of layers. */
export class Catalog {
  private layers = new Map<string, Layer>();
  private listeners = new Set<(changed: string[]) => void>();
  private stopListening: (() => Promise<void>) | null = null;

  constructor(private readonly db: Database) {}

  /**
   * Reads every catalog row and the extent of each layer's table. Reads may overlap (a NOTIFY arrives
   * while an upload reloads); the result of a read is applied only if no read started later was applied
   * already, so an older read finishing last can never overwrite a newer one.
   */
  async load(): Promise<void> {
    const generation = ++this.started;
    const next = await this.readCatalog();
    if (generation < this.applied) return;
    this.applied = generation;
    this.apply(next);
  }

  private started = 0;
  private applied = 0;

  private async readCatalog(): Promise<Map<string, Layer>> {
    const rows = await this.db.rows<CatalogRow>('SELECT * FROM layer_catalog ORDER BY sort_order, id');
    const next = new Map<string, Layer>();
    for (const row of rows) {
      // The extent scans the table: reuse it while the layer's data version is unchanged.
      const old = this.layers.get(row.id);
      const same = old && old.dataVersion === row.data_version && old.updatedAt.getTime() === new Date(row.updated_at).getTime();
      // A table read in place is checked at every load: other programs may drop it or change its columns.
      const problem = row.origin === 'source' ? await this.sourceProblem(row) : null;
      const extent =
        same && !problem && !old.source?.problem
          ? { bounds: old.bounds, temporalExtent: old.temporalExtent ?? null, tileGeometry: old.tileGeometry === true }
          : problem
            ? { bounds: null, temporalExtent: null, tileGeometry: false }
            : await this.loadExtent(row);
      next.set(row.id, toLayer(row, extent, problem));
    }
    return next;
  }

  private apply(next: Map<string, Layer>): void {
    const changed = [...next.keys()].filter((id) => {
      const old = this.layers.get(id);
      const now = next.get(id)!;
      // A source table that was dropped and came back is other data: its cached tiles must go, as on a new version.
      return (
        !old ||
        old.dataVersion !== now.dataVersion ||
        old.updatedAt.getTime() !== now.updatedAt.getTime() ||
        Boolean(old.source?.problem) !== Boolean(now.source?.problem)
      );
    });
    for (const id of this.layers.keys()) if (!next.has(id)) changed.push(id);
    this.layers = next;
    if (changed.length) for (const l of this.listeners) l(changed);
  }

  private async loadExtent(row: CatalogRow): Promise<TableExtent> {
    return {
      bounds: await this.loadBounds(row),
      temporalExtent: row.temporal ? await this.loadTemporalExtent(row, row.temporal) : null,
      tileGeometry: row.origin !== 'source' && (await this.hasTileGeometry(row.source_table)),
    };
  }

  /** Does the layer's own table have the Web Mercator column tiles read (migration 019, uploads since)? */
  private async hasTileGeometry(table: string): Promise<boolean> {
    const [r] = await this.db.rows<{ present: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?::text) AND attname = ? AND NOT attisdropped) AS present`,
      [quoteIdent(table), tileGeometryColumn],
    );
    return r?.present === true;
  }

  /** The first and last valid day of a temporal layer; an open end (a null) anywhere makes that end open. */
  private async loadTemporalExtent(row: CatalogRow, t: LayerTemporal): Promise<TemporalExtent | null> {
    try {
      const [e] = await this.db.rows<{ first: string | null; last: string | null }>(
        `SELECT CASE WHEN bool_or(${quoteIdent(t.start)} IS NULL) THEN NULL ELSE min(${quoteIdent(t.start)})::text END AS first,
                CASE WHEN bool_or(${quoteIdent(t.end)} IS NULL) THEN NULL ELSE max(${quoteIdent(t.end)})::text END AS last
           FROM ${quoteIdent(row.source_table)}`,
      );
      return e ? [e.first, e.last] : null;
    } catch {
      return null; // the table or a column is missing (a database not yet migrated): no temporal extent
    }
  }

  /** What is wrong with a source layer's table now (missing, or lacking a column the layer reads), or null. */
  private async sourceProblem(row: CatalogRow): Promise<string | null> {
    const relation = `${quoteIdent(row.source_schema ?? '')}.${quoteIdent(row.source_table)}`;
    const [r] = await this.db.rows<{ present: boolean; names: string[] | null }>(
      `SELECT to_regclass(?::text) IS NOT NULL AS present,
              array(SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass(?::text) AND attnum > 0 AND NOT attisdropped) AS names`,
      [relation, relation],
    );
    if (!r?.present) return `its table ${row.source_schema}.${row.source_table} no longer exists`;
    const have = new Set(r.names ?? []);
    const wanted = [
      row.id_column ?? '',
      row.geom_column ?? '',
      ...row.columns.map((c) => row.column_sources?.[c.name] ?? c.name),
    ];
    const lost = wanted.filter((c) => !have.has(c));
    return lost.length ? `its table ${row.source_schema}.${row.source_table} lost the column(s) ${lost.join(', ')}` : null;
  }

  private async loadBounds(row: CatalogRow): Promise<Layer['bounds']> {
    if (row.origin === 'source') return this.loadSourceBounds(row);
    try {
      // ST_EstimatedExtent would be cheaper but needs ANALYZE; the tables are indexed and this runs on load only.
      const [b] = await this.db.rows<{ xmin: number | null; ymin: number; xmax: number; ymax: number }>(
        `SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
           FROM (SELECT ST_Extent(geom)::geometry AS e FROM ${quoteIdent(row.source_table)}) q`,
      );
      return b && b.xmin !== null ? [b.xmin, b.ymin, b.xmax, b.ymax] : null;
    } catch {
      return null; // the table is missing (a failed upload left only its row); the layer is listed without an extent
    }
  }

  /** The extent of a table read in place: taken in its SRID (index-sized work), the box transformed to EPSG:4326. */
  private async loadSourceBounds(row: CatalogRow): Promise<Layer['bounds']> {
    const g = quoteIdent(row.geom_column ?? 'geom');
    try {
      const [b] = await this.db.rows<{ xmin: number | null; ymin: number; xmax: number; ymax: number }>(
        `SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
           FROM (SELECT ST_Transform(ST_SetSRID(ST_Extent(${g})::geometry, ?::int), 4326) AS e
                   FROM ${quoteIdent(row.source_schema ?? '')}.${quoteIdent(row.source_table)}) q`,
        [row.srid],
      );
      return b && b.xmin !== null ? [b.xmin, b.ymin, b.xmax, b.ymax] : null;
    } catch {
      return null;
    }
  }

  /** Reloads whenever any instance changes `layer_catalog` (LISTEN/NOTIFY). */
  async watch(onError: (err: Error) => void = () => undefined): Promise<void> {
    this.stopListening = await this.db.listen(catalogChannel, () => {
      this.load().catch(onError);
    });
  }

  /** Calls `fn` with the ids of layers that were added, changed or removed by a reload. */
  onChange(fn: (changed: string[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * The layer with this id that the caller may read; throws UnknownLayerError otherwise, naming `parameter`
   * (the request parameter that held the id) when given.
   */
  get(id: string, principal: Principal | null, parameter?: string): Layer {
    const layer = this.layers.get(id);
    if (!layer || !canRead(layer.access, principal)) throw new UnknownLayerError(id, parameter);
    if (layer.source?.problem) throw new DatabaseUnavailableError(`layer "${id}" is unavailable: ${layer.source.problem}`, 30);
    return layer;
  }

  /** The layer with this id regardless of access (admin and internal use), or undefined. */
  find(id: string): Layer | undefined {
    return this.layers.get(id);
  }

  /** Every layer, flagged ones included (admin and internal use). */
  all(): Layer[] {
    return [...this.layers.values()];
  }

  /** Every layer the caller may read, in draw order (a source layer whose table is broken is left out; find() has it). */
  list(principal: Principal | null): Layer[] {
    return [...this.layers.values()].filter((l) => canRead(l.access, principal) && !l.source?.problem);
  }

  async close(): Promise<void> {
    await this.stopListening?.();
  }
}

/** Writes built-in definitions into `layer_catalog` (insert or update; uploaded layers are untouched). */
export async function applyLayerDefinitions(db: Database, defs: LayerDefinition[]): Promise<void> {
  for (const d of defs) {
    const row = {
      id: d.id,
      title: d.title,
      title_vi: d.titleVi,
      description: d.description,
      keywords: d.keywords,
      layer_group: d.group,
      source_table: d.table,
      geometry_type: d.geometryType,
      srid: 4326,
      columns: JSON.stringify(d.columns),
      minzoom: d.minzoom,
      maxzoom: d.maxzoom,
      style: JSON.stringify(d.style),
      tile_options: JSON.stringify(d.tileOptions),
      attribution: d.attribution,
      licence: d.licence,
      access: d.access,
      origin: 'builtin',
      sort_order: d.sortOrder,
      temporal: d.temporal ? JSON.stringify(d.temporal) : null,
      metadata: d.metadata ? JSON.stringify(d.metadata) : null,
    };
    await db
      .knex('layer_catalog')
      .insert(row)
      .onConflict('id')
      .merge(Object.keys(row).filter((k) => k !== 'id') as never);
  }
}

/**
 * The catalog: the only place where a request string becomes a layer or a column.
 * It mirrors the `layer_catalog` table, reloads when that table changes (NOTIFY), and hides
 * restricted layers from callers without a reader role.
 */
import type { Database } from '../db/database.ts';
import type { LayerColumn, LayerDefinition, LayerStyle, LayerTemporal, TileOptions } from './definition.ts';
import type { DatasetMetadata } from './metadata.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { UnknownLayerError } from '../errors.ts';

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
  readonly group: LayerDefinition['group'];
  /** The table, already quoted for SQL (`"public"."landuse_parcels"`). */
  readonly tableSql: string;
  readonly table: string;
  readonly geometryType: LayerDefinition['geometryType'];
  readonly sourceCrs: string | null;
  readonly columns: readonly LayerColumn[];
  readonly minzoom: number;
  readonly maxzoom: number;
  readonly style: LayerStyle;
  readonly tileOptions: TileOptions;
  readonly attribution: string;
  readonly licence: string;
  readonly access: 'public' | 'restricted';
  readonly origin: 'builtin' | 'upload';
  readonly owner: string | null;
  readonly sortOrder: number;
  readonly dataVersion: number;
  readonly updatedAt: Date;
  /** Bounds in EPSG:4326 [minx, miny, maxx, maxy], or null for an empty layer. */
  readonly bounds: [number, number, number, number] | null;
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

/** A row of `layer_catalog` as the database holds it (snake_case columns); toLayer turns it into a Layer. */
interface CatalogRow {
  id: string;
  title: string;
  title_vi: string | null;
  description: string;
  keywords: string[];
  layer_group: LayerDefinition['group'];
  source_table: string;
  geometry_type: LayerDefinition['geometryType'];
  source_crs: string | null;
  columns: LayerColumn[];
  minzoom: number;
  maxzoom: number;
  style: LayerStyle;
  tile_options: TileOptions;
  attribution: string;
  licence: string;
  access: 'public' | 'restricted';
  origin: 'builtin' | 'upload';
  owner: string | null;
  sort_order: number;
  data_version: number;
  updated_at: Date;
  temporal?: LayerTemporal | null;
  /** Added by migration 011. */
  metadata?: DatasetMetadata | null;
}

/** What is read from a layer's table when the catalog loads: its bounds and, for a temporal layer, its days. */
interface TableExtent {
  bounds: Layer['bounds'];
  temporalExtent: TemporalExtent | null;
}

/** NOTIFY channel raised by any change of `layer_catalog`. */
export const catalogChannel = 'layer_catalog_changed';

/** May this caller see a layer with this access level? */
export function canRead(access: 'public' | 'restricted', principal: Principal | null): boolean {
  return access === 'public' || principal !== null;
}

function toLayer(row: CatalogRow, extent: TableExtent): Layer {
  const byName = new Map(row.columns.map((c) => [c.name, c]));
  return {
    id: row.id,
    title: row.title,
    titleVi: row.title_vi ?? row.title,
    description: row.description,
    keywords: row.keywords,
    group: row.layer_group,
    tableSql: quoteIdent(row.source_table),
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
      const extent = same ? { bounds: old.bounds, temporalExtent: old.temporalExtent ?? null } : await this.loadExtent(row);
      next.set(row.id, toLayer(row, extent));
    }
    return next;
  }

  private apply(next: Map<string, Layer>): void {
    const changed = [...next.keys()].filter((id) => {
      const old = this.layers.get(id);
      return !old || old.dataVersion !== next.get(id)!.dataVersion || old.updatedAt.getTime() !== next.get(id)!.updatedAt.getTime();
    });
    for (const id of this.layers.keys()) if (!next.has(id)) changed.push(id);
    this.layers = next;
    if (changed.length) for (const l of this.listeners) l(changed);
  }

  private async loadExtent(row: CatalogRow): Promise<TableExtent> {
    return { bounds: await this.loadBounds(row), temporalExtent: row.temporal ? await this.loadTemporalExtent(row, row.temporal) : null };
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

  private async loadBounds(row: CatalogRow): Promise<Layer['bounds']> {
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
    return layer;
  }

  /** The layer with this id regardless of access (admin and internal use), or undefined. */
  find(id: string): Layer | undefined {
    return this.layers.get(id);
  }

  /** Every layer the caller may read, in draw order. */
  list(principal: Principal | null): Layer[] {
    return [...this.layers.values()].filter((l) => canRead(l.access, principal));
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
    await db.knex('layer_catalog').insert(row).onConflict('id').merge(Object.keys(row).filter((k) => k !== 'id') as never);
  }
}
